"""Demo data: the monthly steering pack of last month.

The scheduler generates it on the 1st of each month; the demo generates it
once so that the director finds a workbook and a management summary under
Steering > Monthly Packs. A re-run generates it again (the pack of a month
is replaced, never duplicated)."""
import datetime as dt


def load(ctx):
    from trytond.pool import Pool
    pool = Pool()
    try:
        Pack = pool.get('gru.steering.pack')
    except KeyError:
        ctx.log("gru_steering is not activated: no steering pack")
        return
    # the aggregates of the data just loaded through the ORM, as the cron
    # of every minute would (the transaction restarts with its lock)
    keys = pool.get('gru.steering.aggregate.dirty').refresh_dirty()
    ctx.log("steering aggregates of %d keys refreshed" % keys)
    Date = pool.get('ir.date')
    month = (Date.today().replace(day=1) - dt.timedelta(days=1)).replace(
        day=1)
    pack = Pack.generate(month)
    ctx.log("steering pack of %s generated in %.1f s (map %s)" % (
            pack.xlsx_name, pack.duration,
            "included" if pack.map_included else "not available"))
