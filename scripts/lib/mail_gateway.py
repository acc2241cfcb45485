#!/usr/bin/env python3
"""The GRU mail gateway as a continuous command.

Each active mailbox is served by its own thread: fetch the new mail (each
batch committed before its messages are moved on the server), then wait
for new mail with IMAP IDLE when the server offers it, or sleep the poll
interval. Connection failures are logged and retried with an exponential
backoff. With --once every mailbox is fetched once and the command exits.
SIGTERM and SIGINT stop it after the batches in progress.

With --workers N (default: the number of cores; PostgreSQL only) N worker
processes ingest the mail: the gateway lists the waiting messages, reads
their sender and Message-IDs, splits them into chunks of related messages
(gru_mail.partition) and hands the chunks out to the idle workers; a
round of chunks ends before the next one is listed. See the design of
gru_mail (Exactly once with workers).
"""
import argparse
import json
import logging
import os
import select
import signal
import subprocess
import sys
import threading

logger = logging.getLogger('gru_mail.gateway')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('-c', '--config',
        default=os.environ.get('TRYTOND_CONFIG'))
    parser.add_argument('-d', '--database', required=True)
    parser.add_argument('--once', action='store_true',
        help="fetch every mailbox once and exit")
    parser.add_argument('--mailbox', type=int, action='append',
        help="only this mailbox id (repeatable)")
    parser.add_argument('--workers', type=int, default=os.cpu_count(),
        help="the worker processes ingesting the mail (default: the "
        "number of cores; 1: this process alone)")
    parser.add_argument('--worker', action='store_true',
        help=argparse.SUPPRESS)
    parser.add_argument('-v', '--verbose', action='store_true')
    return parser.parse_args(argv)


# the waiting messages listed and split at once, and the size of a chunk
ROUND = 10000
CHUNK = 250
# fetches of a mailbox again after a round left messages (a worker died)
RETRIES = 3


class WorkerError(Exception):
    "A worker could not ingest its chunk"


class Worker:
    "A worker process: ingests the chunks it is given, one at a time"

    def __init__(self, database, config=None):
        command = [sys.executable, os.path.abspath(__file__), '--worker',
            '-d', database]
        if config:
            command += ['-c', config]
        if logger.isEnabledFor(logging.INFO):
            command.append('-v')
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, text=True, bufsize=1)

    def wait_ready(self):
        "Wait until the worker has loaded the database"
        ready = self.process.stdout.readline()
        if not ready.startswith('ready'):
            self.close()
            raise WorkerError("the worker did not start")

    @property
    def pid(self):
        return self.process.pid

    def alive(self):
        return self.process.poll() is None

    def send(self, job):
        self.process.stdin.write(json.dumps(job) + '\n')
        self.process.stdin.flush()

    def fileno(self):
        return self.process.stdout.fileno()

    def receive(self):
        "Return the reply to the job sent, None when the worker died"
        line = self.process.stdout.readline()
        if not line:
            self.close()
            return None
        return json.loads(line)

    def close(self):
        try:
            self.process.stdin.close()
        except OSError:
            pass
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process.stdout.close()


class Gateway:

    def __init__(self, database, mailbox_ids=None, workers=1, config=None):
        from trytond import backend
        from trytond.pool import Pool
        from trytond.transaction import Transaction
        self.database = database
        self.config = config
        self.stop = threading.Event()
        with Transaction().start(database, 0, readonly=True):
            Pool(database).init()
        self.pool = Pool(database)
        self.mailbox_ids = mailbox_ids or self.active_mailboxes()
        if workers > 1 and backend.name == 'sqlite':
            # SQLite takes one writer at a time
            logger.info("SQLite: one process ingests the mail")
            workers = 1
        self.size = workers if workers > 1 else 0
        self.workers = []
        self.lock = threading.Lock()
        self.incomplete = set()
        self.start_workers()

    def start_workers(self):
        "Start the missing worker processes (at start, after a death)"
        self.workers = [w for w in self.workers if w.alive()]
        new = [Worker(self.database, self.config)
            for _ in range(self.size - len(self.workers))]
        try:
            for worker in new:
                worker.wait_ready()
        except WorkerError:
            for worker in new:
                worker.close()
            raise
        self.workers.extend(new)

    def close(self):
        workers, self.workers = self.workers, []
        for worker in workers:
            worker.close()

    def active_mailboxes(self):
        from trytond.transaction import Transaction
        with Transaction().start(self.database, 0, readonly=True):
            Mailbox = self.pool.get('gru.mail.mailbox')
            return [m.id for m in Mailbox.search([('active', '=', True)])]

    def fetch(self, mailbox_id):
        """Fetch one mailbox once; return (counts, poll interval, delay).
        Fetched again (up to RETRIES times) when a worker died."""
        counts = {}
        for attempt in range(RETRIES + 1):
            self.incomplete.discard(mailbox_id)
            done, interval, delay = self._fetch(mailbox_id)
            for key, value in done.items():
                counts[key] = counts.get(key, 0) + value
            if (mailbox_id not in self.incomplete or self.stop.is_set()
                    or delay):
                break
            logger.warning("mailbox %s: a round was not finished, "
                "fetched again", mailbox_id)
        return counts, interval, delay

    def _fetch(self, mailbox_id):
        import datetime as dt

        from trytond.transaction import Transaction
        with Transaction().start(self.database, 0) as transaction:
            Mailbox = self.pool.get('gru.mail.mailbox')
            mailbox = Mailbox(mailbox_id)
            with transaction.set_context(company=mailbox.company.id):
                counts = mailbox.fetch(commit=transaction.commit,
                    dispatch=self.dispatch if self.size else None)
            mailbox = Mailbox(mailbox_id)
            delay = 0
            if mailbox.failure_count and mailbox.next_attempt:
                delay = max(0, (mailbox.next_attempt
                        - dt.datetime.now()).total_seconds())
            return counts, mailbox.poll_interval, delay

    def dispatch(self, mailbox, adapter, uidvalidity, uids, counts):
        """Have the workers ingest the waiting messages uids, by rounds of
        related chunks (Mailbox.fetch calls it)"""
        from gru_mail.partition import HEADER_FIELDS, partition
        with self.lock:
            for start in range(0, len(uids), ROUND):
                if self.stop.is_set():
                    break
                self.start_workers()
                headers = adapter.headers(uids[start:start + ROUND],
                    HEADER_FIELDS)
                chunks = partition(headers, CHUNK)
                if not self.run_round(mailbox, uidvalidity, chunks,
                        counts):
                    # the next fetch lists the messages left in UID order
                    self.incomplete.add(mailbox.id)
                    break

    def run_round(self, mailbox, uidvalidity, chunks, counts):
        """Hand the chunks out to the idle workers until all are done;
        return True when all were ingested"""
        from gru_mail.imap import CONNECTION_ERRORS
        pending = list(reversed(chunks))
        busy = {}
        complete, connection_error = True, None

        def give(worker):
            uids = pending.pop()
            busy[worker] = uids
            worker.send({'mailbox': mailbox.id,
                    'company': mailbox.company.id,
                    'uidvalidity': uidvalidity, 'uids': uids})
        for worker in self.workers:
            if pending:
                give(worker)
        while busy:
            ready, _, _ = select.select(list(busy), [], [])
            for worker in ready:
                uids = busy.pop(worker)
                reply = worker.receive()
                if reply is None:
                    logger.error("mailbox %s: worker %s died in a chunk of "
                        "%d messages", mailbox.address, worker.pid,
                        len(uids))
                    complete = False
                    continue
                for key, value in reply.get('counts', {}).items():
                    counts[key] = counts.get(key, 0) + value
                if reply.get('error'):
                    logger.error("mailbox %s: worker %s: %s",
                        mailbox.address, worker.pid, reply['error'])
                    if reply.get('connection'):
                        connection_error = reply['error']
                if not reply.get('complete'):
                    complete = False
                if pending and not self.stop.is_set() and (
                        connection_error is None):
                    give(worker)
        if connection_error is not None:
            raise CONNECTION_ERRORS[0](connection_error)
        return complete and not pending

    def wait(self, mailbox_id, timeout):
        "Wait for new mail: IDLE when offered, else sleep"
        from trytond.transaction import Transaction
        with Transaction().start(self.database, 0, readonly=True):
            Mailbox = self.pool.get('gru.mail.mailbox')
            mailbox = Mailbox(mailbox_id)
            adapter = mailbox.get_adapter()
            folder = mailbox.folder
        try:
            adapter.connect()
            if adapter.has_idle():
                adapter.select(folder)
                adapter.wait(timeout)
                return
        except Exception as error:
            logger.warning("mailbox %s: IDLE failed: %s", mailbox_id, error)
        finally:
            adapter.logout()
        self.stop.wait(timeout)

    def serve(self, mailbox_id):
        while not self.stop.is_set():
            try:
                counts, interval, delay = self.fetch(mailbox_id)
                if counts:
                    logger.info("mailbox %s: %s", mailbox_id, counts)
            except Exception:
                logger.exception("mailbox %s: fetch failed", mailbox_id)
                interval, delay = 60, 60
            if self.stop.is_set():
                break
            if delay:
                self.stop.wait(delay)
            else:
                self.wait(mailbox_id, min(interval, 29 * 60))

    def run_once(self):
        total = {}
        for mailbox_id in self.mailbox_ids:
            counts, _, _ = self.fetch(mailbox_id)
            for key, value in counts.items():
                total[key] = total.get(key, 0) + value
        return total

    def run_forever(self):
        threads = [threading.Thread(target=self.serve, args=(i,),
                name='mailbox-%d' % i, daemon=True)
            for i in self.mailbox_ids]
        for thread in threads:
            thread.start()
        while any(t.is_alive() for t in threads):
            for thread in threads:
                thread.join(1)


def set_parent_death_signal():
    "Be killed with the gateway (Linux): a worker never outlives it"
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def serve_worker(database):
    """The loop of a worker process: a job (JSON line) in, the counts of
    its ingestion out. Mailbox.ingest_uids commits each batch before its
    messages are moved, as the gateway alone does."""
    parent = os.getppid()
    set_parent_death_signal()
    if os.getppid() != parent:
        return 1
    # the replies go to the gateway: nothing else may write to them
    replies = os.fdopen(os.dup(1), 'w')
    os.dup2(2, 1)
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    from gru_mail.imap import CONNECTION_ERRORS
    with Transaction().start(database, 0, readonly=True):
        Pool(database).init()
    pool = Pool(database)
    adapters = {}
    replies.write('ready\n')
    replies.flush()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for line in sys.stdin:
        job = json.loads(line)
        reply = {'counts': {}, 'complete': False}
        try:
            with Transaction().start(database, 0, context={
                        'company': job['company']}) as transaction:
                Mailbox = pool.get('gru.mail.mailbox')
                mailbox = Mailbox(job['mailbox'])
                adapter = adapters.get(mailbox.id)
                if adapter is None:
                    adapter = adapters[mailbox.id] = (
                        mailbox.get_adapter().connect())
                if adapter.select(mailbox.folder) == job['uidvalidity']:
                    reply['counts'], reply['complete'] = (
                        mailbox.ingest_uids(adapter, job['uidvalidity'],
                            job['uids'], transaction.commit))
        except CONNECTION_ERRORS as error:
            adapter = adapters.pop(job['mailbox'], None)
            if adapter is not None:
                adapter.logout()
            reply.update(error='%s: %s' % (type(error).__name__, error),
                connection=True)
        except Exception as error:
            logger.exception("worker: mailbox %s", job.get('mailbox'))
            reply['error'] = '%s: %s' % (type(error).__name__, error)
        replies.write(json.dumps(reply) + '\n')
        replies.flush()
    for adapter in adapters.values():
        adapter.logout()
    return 0


def main(argv=None):
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose
        else logging.WARNING,
        format='%(asctime)s %(levelname)s %(name)s %(message)s')
    from trytond import config
    if args.config:
        config.update_etc(args.config)
    if args.worker:
        return serve_worker(args.database)
    gateway = Gateway(args.database, args.mailbox, workers=args.workers,
        config=args.config)
    print('ready: %d mailboxes, %d workers' % (
            len(gateway.mailbox_ids), len(gateway.workers)), flush=True)

    def stop(signum, frame):
        gateway.stop.set()
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        if args.once:
            print('done: %s' % gateway.run_once(), flush=True)
        else:
            gateway.run_forever()
    finally:
        gateway.close()
    return 0


if __name__ == '__main__':
    sys.exit(main())
