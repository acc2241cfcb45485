# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Rebuild the daily aggregates of the steering figures for all history:
after a load by SQL or COPY (which bypasses the ORM's hooks).

Usage: python -m gru_steering.rebuild -d DATABASE [-c trytond.conf]
(the database URI is the configuration's or TRYTOND_DATABASE__URI)."""
import argparse
import time


def rebuild(database):
    """Rebuild the aggregates of database and forget their dirty keys;
    return the seconds taken"""
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    Pool.start()
    pool = Pool(database)
    with Transaction().start(database, 0, readonly=True):
        pool.init()
    start = time.monotonic()
    # the lock of the refreshers (gru.steering.aggregate.dirty
    # lock_refresh), taken before the snapshot: no cron refreshes meanwhile
    lock = pool.get('gru.steering.request.day')._table
    with Transaction().start(database, 0,
            _lock_tables=[lock]) as transaction:
        for name in ['gru.steering.request.day', 'gru.steering.call.day',
                'gru.steering.antenna.day', 'gru.steering.antenna.hour']:
            pool.get(name).rebuild()
        transaction.commit()
    return time.monotonic() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('-d', '--database', required=True)
    parser.add_argument('-c', '--config')
    args = parser.parse_args()
    from trytond.config import update_etc
    update_etc(args.config)
    print('rebuilt in %.1f s' % rebuild(args.database))


if __name__ == '__main__':
    main()
