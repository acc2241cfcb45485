"""Demo data: the start of the territorial experiment in a few antennas.

Amiens, Saint-Quentin and Arras started routing their calls by territory
six weeks ago (on a Monday), Cambrai three weeks ago: the experiment's
before/after comparison of the steering has six weeks of calls, visits and
requests on each side for the first ones (the demo's history is 13
weeks)."""
import datetime as dt

# antenna code, weeks before this week's Monday
STARTS = [('AMI', 6), ('STQ', 6), ('ARR', 6), ('CAM', 3)]


def load(ctx):
    from trytond.pool import Pool
    pool = Pool()
    Antenna = pool.get('gru.antenna')
    Date = pool.get('ir.date')
    today = Date.today()
    monday = today - dt.timedelta(days=today.weekday())
    started = []
    for code, weeks in STARTS:
        antennas = Antenna.search([
                ('code', '=', code),
                ('experiment_start', '=', None),
                ])
        if antennas:
            Antenna.write(antennas, {
                    'experiment_start': monday - dt.timedelta(weeks=weeks),
                    })
            started.append(code)
    ctx.log("experiment started in %s" % (', '.join(started) or "none"))
