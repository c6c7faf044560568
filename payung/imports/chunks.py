"""A big file's rows without a million Python objects: read back from the reader's temporary
file a chunk at a time (``SpooledRows``), and the rows an import will write kept packed, a
chunk at a time (``PackedRows``). ``SpooledRows`` reads like the list it replaces (same order,
indexes and slices); ``PackedRows`` reads back the rows appended, as dicts, and in ``order_by``
order through ``merged()``, but iterates them chunk by chunk, each chunk sorted by ``order_by``
(not in the order they were appended)."""

from __future__ import annotations

import bisect
import heapq
import os
from collections.abc import Iterator, Sequence
from operator import itemgetter

from payung.imports.sandbox import CHUNK_ROWS, RECORD, decode_answer, encode

#: Rows per block of a sorted chunk (``PackedRows.merged``): what is decoded of each chunk at a time.
BLOCK_ROWS = 1_000


class SpooledRows(Sequence):
    """The rows the sandboxed reader wrote to ``file`` (records of ``CHUNK_ROWS`` rows, see
    ``sandbox.RowWriter``), from row ``start`` on. Iterating decodes one chunk at a time; an
    index or a slice reads only the chunks it needs. Reads use ``os.pread``: several threads
    (a page's reruns) can read the same rows."""

    def __init__(self, file, chunks: list[tuple[int, int, int]], start: int = 0):
        #: ``chunks``: (offset of the payload, its length, rows in it) of each record.
        self._file, self._chunks, self._start = file, chunks, start
        self._firsts, total = [], 0
        for _, _, count in chunks:
            self._firsts.append(total)
            total += count
        self._total = total
        self._cached: tuple[int, list] = (-1, [])

    def close(self) -> None:
        """Close the temporary file (removing it): the rows can no longer be read. Every
        ``from_row`` view shares the file and is closed with it."""
        self._cached = (-1, [])
        self._file.close()

    @property
    def closed(self) -> bool:
        return self._file.closed

    @classmethod
    def read(cls, file) -> tuple[SpooledRows, dict]:
        """The rows and the answer (the last record) of a reader's output; ValueError when it
        is cut short (the child died while writing)."""
        size = os.fstat(file.fileno()).st_size
        chunks, at = [], 0
        while at + RECORD.size <= size:
            length, rows = RECORD.unpack(os.pread(file.fileno(), RECORD.size, at))
            at += RECORD.size
            if at + length > size:
                break
            if rows == 0:
                if at + length != size:
                    break
                return cls(file, chunks), decode_answer(os.pread(file.fileno(), length, at))
            chunks.append((at, length, rows))
            at += length
        raise ValueError("the reader's answer is incomplete")

    def from_row(self, start: int) -> SpooledRows:
        """The same rows from ``start`` on (sharing the file)."""
        return SpooledRows(self._file, self._chunks, self._start + start)

    def _chunk(self, k: int) -> list:
        cached = self._cached
        if cached[0] == k:
            return cached[1]
        offset, length, _ = self._chunks[k]
        rows = decode_answer(os.pread(self._file.fileno(), length, offset))
        self._cached = (k, rows)
        return rows

    def __len__(self) -> int:
        return self._total - self._start

    def __iter__(self) -> Iterator[list]:
        if not self._chunks or self._start >= self._total:
            return
        first = bisect.bisect_right(self._firsts, self._start) - 1
        skip = self._start - self._firsts[first]
        for k in range(first, len(self._chunks)):
            offset, length, _ = self._chunks[k]
            rows = decode_answer(os.pread(self._file.fileno(), length, offset))
            yield from (rows[skip:] if skip else rows)
            skip = 0

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError("row index out of range")
        at = self._start + index
        k = bisect.bisect_right(self._firsts, at) - 1
        return self._chunk(k)[at - self._firsts[k]]

    def __repr__(self) -> str:
        return f"<SpooledRows: {len(self)} rows>"


class PackedTuples:
    """Tuples appended one by one (of what ``sandbox.encode`` carries: text, numbers, dates,
    None, dicts of them), kept as packed chunks; iterated in the order they were appended, a
    chunk decoded at a time. A worker plan's updates, ``(id, before, changes)``, are kept so."""

    def __init__(self, chunk_rows: int | None = None):
        self.chunk_rows = chunk_rows or CHUNK_ROWS
        self._packed: list[list[bytes]] = []  # chunks, each a list of blocks
        self._open: list[tuple] = []
        self._count = 0

    def append(self, item: tuple) -> None:
        self._open.append(item)
        self._count += 1
        if len(self._open) >= self.chunk_rows:
            rows, self._open = self._open, []
            self._packed.append(self._blocks(rows))

    def _blocks(self, rows: list[tuple]) -> list[bytes]:
        """A full chunk, packed (one block)."""
        return [encode(rows)]

    def __len__(self) -> int:
        return self._count

    def chunks(self) -> Iterator[list[tuple]]:
        """The tuples a chunk at a time, in the order they were appended (a sorted chunk of
        ``PackedRows`` in its own order)."""
        for blocks in self._packed:
            yield [row for block in blocks for row in decode_answer(block)]
        if self._open:
            yield list(self._open)

    def tuples(self) -> Iterator[tuple]:
        for chunk in self.chunks():
            yield from chunk

    __iter__ = tuples

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {self._count}>"


class PackedRows(PackedTuples):
    """Dicts with the same keys, appended one by one and kept as packed chunks of tuples
    (``marshal``: about a fifth of the memory of the dicts); read back as dicts, a chunk at a
    time. With ``order_by``, each chunk is packed sorted by that key, in blocks, so that
    ``merged()`` gives every row in that order while decoding only a block of each chunk."""

    def __init__(self, order_by: str | None = None, chunk_rows: int | None = None):
        super().__init__(chunk_rows)
        self.order_by = order_by
        self.columns: tuple[str, ...] = ()
        self._keys = None

    def append(self, row: dict) -> None:
        if self._keys is None:
            self.columns, self._keys = tuple(row), row.keys()
        elif row.keys() != self._keys:
            raise ValueError(f"row with other columns than {self.columns}: {tuple(row)}")
        # In ``columns`` order whatever the row's own key order ({'name':..., 'nik':...}).
        super().append(tuple(row[c] for c in self.columns))

    def _blocks(self, rows: list[tuple]) -> list[bytes]:
        if self.order_by is None:
            return super()._blocks(rows)
        rows.sort(key=itemgetter(self.columns.index(self.order_by)))
        return [encode(rows[i:i + BLOCK_ROWS]) for i in range(0, len(rows), BLOCK_ROWS)]

    def __iter__(self) -> Iterator[dict]:
        columns = self.columns
        for row in self.tuples():
            yield dict(zip(columns, row))

    def __getitem__(self, index: int) -> dict:
        if index < 0:
            index += self._count
        if not 0 <= index < self._count:
            raise IndexError("row index out of range")
        k, at = divmod(index, self.chunk_rows)
        if k < len(self._packed):
            chunk = [row for block in self._packed[k] for row in decode_answer(block)]
        else:
            chunk = self._open
        return dict(zip(self.columns, chunk[at]))

    def merged(self) -> Iterator[tuple]:
        """Every row as a tuple in ``order_by`` order (a merge of the sorted chunks, the rows not
        yet packed sorted as one more run). Reading does not change the rows: appending goes on
        after it, and indexes still read the right rows."""
        key = itemgetter(self.columns.index(self.order_by))
        runs = [(row for block in blocks for row in decode_answer(block)) for blocks in self._packed]
        if self._open:
            runs.append(iter(sorted(self._open, key=key)))
        return heapq.merge(*runs, key=key)

    def __repr__(self) -> str:
        return f"<PackedRows: {self._count} rows>"
