#!/usr/bin/env python3
"""The GRU mail gateway as a continuous command.

Each active mailbox is served by its own thread: fetch the new mail (each
message committed before it is moved on the server), then wait for new
mail with IMAP IDLE when the server offers it, or sleep the poll interval.
Connection failures are logged and retried with an exponential backoff.
With --once every mailbox is fetched once and the command exits.
SIGTERM and SIGINT stop it after the message in progress.
"""
import argparse
import logging
import os
import signal
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
    parser.add_argument('-v', '--verbose', action='store_true')
    return parser.parse_args(argv)


class Gateway:

    def __init__(self, database, mailbox_ids=None):
        from trytond.pool import Pool
        from trytond.transaction import Transaction
        self.database = database
        self.stop = threading.Event()
        with Transaction().start(database, 0, readonly=True):
            Pool(database).init()
        self.pool = Pool(database)
        self.mailbox_ids = mailbox_ids or self.active_mailboxes()

    def active_mailboxes(self):
        from trytond.transaction import Transaction
        with Transaction().start(self.database, 0, readonly=True):
            Mailbox = self.pool.get('gru.mail.mailbox')
            return [m.id for m in Mailbox.search([('active', '=', True)])]

    def fetch(self, mailbox_id):
        "Fetch one mailbox once; return (counts, poll interval, delay)"
        import datetime as dt

        from trytond.transaction import Transaction
        with Transaction().start(self.database, 0) as transaction:
            Mailbox = self.pool.get('gru.mail.mailbox')
            mailbox = Mailbox(mailbox_id)
            with transaction.set_context(company=mailbox.company.id):
                counts = mailbox.fetch(commit=transaction.commit)
            mailbox = Mailbox(mailbox_id)
            delay = 0
            if mailbox.failure_count and mailbox.next_attempt:
                delay = max(0, (mailbox.next_attempt
                        - dt.datetime.now()).total_seconds())
            return counts, mailbox.poll_interval, delay

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


def main(argv=None):
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose
        else logging.WARNING,
        format='%(asctime)s %(levelname)s %(name)s %(message)s')
    from trytond import config
    if args.config:
        config.update_etc(args.config)
    gateway = Gateway(args.database, args.mailbox)
    print('ready: %d mailboxes' % len(gateway.mailbox_ids), flush=True)

    def stop(signum, frame):
        gateway.stop.set()
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if args.once:
        print('done: %s' % gateway.run_once(), flush=True)
    else:
        gateway.run_forever()
    return 0


if __name__ == '__main__':
    sys.exit(main())
