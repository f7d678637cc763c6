"""The demo: the bundled history of both ministry pages (`history`), served offline
(`server`), as documents or rebuilt as apps (`apps`), and replayed through the pipeline
(`replay`)."""
