"""kombu's filesystem transport (the broker of `make run` and of the tests without Redis), with
writes that a reader never sees half done.

kombu creates a message file, then locks and writes it; a worker that lists the folder in
between moves the empty file away and fails on it (``JSONDecodeError``), and the message is
lost. The exchange tables under the control folder are truncated the same way before they are
rewritten (on bind and on delete). Here both are written to a temporary name and renamed into
place, which is atomic: readers see the whole file or none.
"""

from __future__ import annotations

import os
import uuid

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps

#: ``_get`` takes only names whose part after the first dot is ``<queue>.msg``; a file being
#: written has more after it.
PARTIAL = ".part"


def _write_atomically(path: str, data: bytes) -> None:
    partial = f"{path}.{uuid.uuid4().hex}{PARTIAL}"
    try:
        with open(partial, "wb") as handle:
            handle.write(data)
        os.replace(partial, path)
    except OSError as exc:
        raise ChannelError(f"Cannot write {path!r}") from exc
    finally:
        if os.path.exists(partial):
            os.unlink(partial)


class Channel(filesystem.Channel):
    def _put(self, queue, payload, **kwargs):
        name = f"{int(round(filesystem.monotonic() * 1000))}_{uuid.uuid4()}.{queue}.msg"
        _write_atomically(os.path.join(self.data_folder_out, name), str_to_bytes(dumps(payload)))

    def _queue_bind(self, exchange, routing_key, pattern, queue):
        entry = filesystem.exchange_queue_t(routing_key or "", pattern or "", queue or "")

        def bind(queues):
            if entry not in queues:
                queues.insert(0, entry)
                return queues
            return None

        self._update_table(exchange, bind)

    def _delete(self, queue, exchange, routing_key, pattern, *args, **kwargs):
        self._purge(queue)  # its messages, as kombu's virtual channel deletes a queue
        entry = filesystem.exchange_queue_t(routing_key or "", pattern or "", queue or "")

        def unbind(queues):
            if entry in queues:
                queues.remove(entry)
                return queues
            return None

        self._update_table(exchange, unbind)

    def _update_table(self, exchange, change) -> None:
        """Rewrite an exchange's table with ``change`` (None: leave it). Writers take turns on
        a lock file of their own and rename the new table into place; readers need no lock."""
        table = self._exchange_file(exchange)
        self.control_folder.mkdir(parents=True, exist_ok=True)
        with open(table.with_name(f"{table.name}.lock"), "ab") as guard:
            filesystem.lock(guard, filesystem.LOCK_EX)
            try:
                queues = change(self.get_table(exchange))
                if queues is not None:
                    _write_atomically(str(table), str_to_bytes(dumps(queues)))
            finally:
                filesystem.unlock(guard)


class Transport(filesystem.Transport):
    Channel = Channel
