"""Demo data: the two staff plans of the report to the comité technique of
3 October 2022 (source plan of 9 May 2022 and target plan, 97 posts each,
with their units, shared posts and transformation links), employees with
synthetic French names occupying most posts, and the org charts."""


def load(ctx):
    from trytond.pool import Pool

    from gru_staff import demo
    pool = Pool()
    Company = pool.get('company.company')
    Plan = pool.get('gru.staff.plan')
    companies = Company.search([])
    if not companies:
        ctx.log("staff plans skipped: no company")
        return
    company = companies[0]
    source, target = demo.build_report_plans(company)
    employees = demo.staff_report_plans(source, target)
    if employees:
        ctx.log('%d employees occupy the posts' % len(employees))
    if source.state == 'draft':
        Plan.submit([source])
        Plan.approve([source])
    if target.state == 'draft':
        Plan.submit([target])
    for plan in [source, target]:
        if not plan.org_chart:
            Plan.draw_org_chart([plan])
    for plan in [source, target]:
        ctx.log('staff plan "%s": %d positions (%s)' % (
                plan.name, plan.headcount, plan.state))
