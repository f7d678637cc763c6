"""Raw pages, kept once per distinct content, zstd-compressed against the source's previous
version."""

from __future__ import annotations

import threading
import gzip

import zstandard

from .connection import StoreError, body_hash

MAX_DELTA_CHAIN = 32  # a stored page is rebuilt from at most this many deltas


ZSTD_LEVEL = 9  # deltas: within 3 % of level 19 on ministry pages, ten times faster
# Whole pages (a source's first version, and one in every MAX_DELTA_CHAIN): 6 % larger than at
# level 9 and five times faster, which a first cycle of a thousand new pages waits for.
ZSTD_WHOLE_LEVEL = 3


class Blobs:
    """Raw bodies in and out of `blobs`."""

    def raw(self, snapshot_id: int) -> tuple[bytes, str | None, str | None]:
        """(body, content type, url) of a snapshot, decompressed."""
        row = self.db.execute(
            "SELECT content_hash, content_type, url FROM snapshots WHERE id = ?", [snapshot_id]
        ).fetchone()
        if row is None:
            raise StoreError(f"no snapshot {snapshot_id}")
        return self._blob(row[0]), row[1], row[2]

    def _blob(self, digest: str) -> bytes:
        chain = []  # this blob, then its dictionary, its dictionary's dictionary, ...
        while digest:
            row = self.db.execute("SELECT encoding, data, base FROM blobs WHERE hash = ?",
                                  [digest]).fetchone()
            if row is None:
                raise StoreError(f"raw page {digest[:12]} is missing from the database")
            chain.append(row)
            digest = row[2]
        body = b""
        for encoding, data, _ in reversed(chain):
            body = _decompress(encoding, data, body)
        return body

    def _put_blob(self, source_id: int, body: bytes) -> str:
        """Store a body once; as a zstd delta against the source's last stored body if any."""
        digest = body_hash(body)
        if self.db.execute("SELECT 1 FROM blobs WHERE hash = ?", [digest]).fetchone():
            return digest
        base = self.db.execute(
            """SELECT blobs.hash, blobs.depth FROM snapshots JOIN blobs
               ON blobs.hash = snapshots.content_hash WHERE snapshots.source_id = ?
               ORDER BY snapshots.id DESC LIMIT 1""", [source_id]).fetchone()
        if base and base[1] < MAX_DELTA_CHAIN:
            dictionary = zstandard.ZstdCompressionDict(self._blob(base[0]),
                                                       dict_type=zstandard.DICT_TYPE_RAWCONTENT)
            data = zstandard.ZstdCompressor(level=ZSTD_LEVEL, dict_data=dictionary).compress(body)
            row = {"encoding": "zstd-delta", "base": base[0], "depth": base[1] + 1, "data": data}
        else:
            row = {"encoding": "zstd", "base": None, "depth": 0, "data": _zstd().compress(body)}
        self._insert("blobs", {"hash": digest, "size": len(body), **row})
        return digest


_local = threading.local()


def _zstd() -> zstandard.ZstdCompressor:
    """This thread's compressor: one may not be used by two threads at once (it crashes the
    process), and checks compress in many."""
    if getattr(_local, "compressor", None) is None:
        _local.compressor = zstandard.ZstdCompressor(level=ZSTD_WHOLE_LEVEL)
    return _local.compressor


def _decompress(encoding: str, data: bytes, base: bytes) -> bytes:
    if encoding == "gzip":  # schema 1
        return gzip.decompress(data)
    if encoding == "zstd":
        return zstandard.ZstdDecompressor().decompress(data)
    if encoding == "zstd-delta":
        dictionary = zstandard.ZstdCompressionDict(base, dict_type=zstandard.DICT_TYPE_RAWCONTENT)
        return zstandard.ZstdDecompressor(dict_data=dictionary).decompress(data)
    raise StoreError(f"raw page stored with unknown encoding {encoding!r}")

