"""Demo data: the two staff plans of the report to the comité technique of
3 October 2022 (source plan of 9 May 2022 and target plan, 97 posts each,
with their units, shared posts and transformation links), employees with
synthetic French names occupying most posts, and the org charts.

The admin is the employee of the GRU project manager's post, and the HR
login ``rh`` the administrative and financial officer of the direction
(the other demo logins are linked by 60_inbox.py)."""

# login, password, role, post of the target plan, groups (module, id)
HR_LOGIN = ('rh', 'demo-rh-darru',
    "Cadre administratif et financier de la direction (organigrammes, RH)",
    'D-CAF1', [('gru_staff', 'group_staff_hr'),
        ('company', 'group_employee_admin')])
ADMIN_POST = 'CSI-RPG1'


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
    # both approved: the target (3 October 2022) is the plan in force, the
    # one of the equity's agent FTE, with the Bassin minier's posts
    demo.approve_report_plans(source, target)
    for plan in [source, target]:
        if not plan.org_chart:
            Plan.draw_org_chart([plan])
    for plan in [source, target]:
        ctx.log('staff plan "%s": %d positions (%s)' % (
                plan.name, plan.headcount, plan.state))
    _logins(ctx, company)


def _logins(ctx, company):
    "Link the admin and the HR login to the employees of their posts"
    from trytond.pool import Pool

    from gru_staff import demo
    pool = Pool()
    User = pool.get('res.user')
    Lang = pool.get('ir.lang')
    ModelData = pool.get('ir.model.data')
    login, password, role, post, groups = HR_LOGIN
    occupants = demo.post_occupants(company, [ADMIN_POST, post])
    admin, = User.search([('login', '=', 'admin')])
    if ADMIN_POST in occupants:
        # the admin keeps his name: a technical account
        if demo.link_user(admin, occupants[ADMIN_POST], rename=False):
            ctx.log('admin is the employee %s' % (
                    occupants[ADMIN_POST].rec_name))
    if post not in occupants:
        return
    employee = occupants[post]
    users = User.search([('login', '=', login),
            ('active', 'in', [True, False])])
    if users:
        user, = users
    else:
        languages = Lang.search([('code', '=', 'fr')], limit=1)
        user, = User.create([{
                    'login': login, 'password': password,
                    'name': employee.party.name,
                    'language': languages[0].id if languages else None,
                    'groups': [('add', [ModelData.get_id(m, g)
                                for m, g in groups])],
                    }])
        ctx.log('HR login %s created' % login)
    demo.link_user(user, employee)
    # a retried transaction loads again: list each login once
    if (login, password, role) not in ctx.logins:
        ctx.logins.append((login, password, role))
