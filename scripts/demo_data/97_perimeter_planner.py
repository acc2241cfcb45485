"""Demo data: the perimeter planner (gru_perimeter).

The login ``reseaux`` is the technical adviser for information and the
animation of the networks of the direction (the target staff plan's post
D-CTIR1): he plans the perimeters of the antennas, as a territory
administrator (GRU Administrator, who edits the territorial plans). The
scenario "Rééquilibrage des contacts par ETP" starts from the territorial
plan in force and holds the optimiser's balanced proposal, not saved as a
plan: the planner reviews it and saves it as a draft.

Runs after the contours of 25_perimeter.py (the optimiser moves an EPCI
only to an antenna it touches); without gru_perimeter it does nothing."""
import datetime as dt

LOGIN = ('reseaux', 'demo-reseaux',
    "Conseiller technique information et réseaux (périmètres des antennes)",
    'D-CTIR1', [('gru_base', 'group_gru_agent'),
        ('gru_base', 'group_gru_admin')])
SCENARIO = "Rééquilibrage des contacts par ETP"


def load(ctx):
    from trytond.exceptions import UserError
    from trytond.pool import Pool
    pool = Pool()
    try:
        Scenario = pool.get('gru.perimeter.scenario')
    except KeyError:
        return
    Company = pool.get('company.company')
    Routing = pool.get('gru.territory.routing')
    Date = pool.get('ir.date')
    companies = Company.search([])
    if companies:
        _login(ctx, companies[0])

    if Scenario.search([('name', '=', SCENARIO)]):
        return
    plan = Routing.plan_at()
    if plan is None:
        ctx.log("perimeter scenario skipped: no territorial plan in force")
        return
    today = Date.today()
    # the first of the next quarter
    month = ((today.month - 1) // 3 + 1) * 3 + 1
    start = dt.date(today.year + (month > 12), (month - 1) % 12 + 1, 1)
    scenario, = Scenario.create([{
                'name': SCENARIO,
                'base_plan': plan,
                'start_date': start,
                'comment': "Proposition de l'optimiseur à partir du plan "
                "en vigueur : chaque antenne garde l'EPCI de son siège, "
                "les périmètres restent d'un seul tenant.",
                }])
    try:
        Scenario.propose([scenario])
    except UserError as error:
        # the scenario stays, without proposal: the planner sees why
        ctx.log('perimeter scenario: no proposal: %s' % error.message)
        return
    scenario = Scenario(scenario.id)
    if not ctx.small:
        # the map of the proposal, as the planner draws it from its tab
        Scenario.draw_map([scenario])
    ctx.log('perimeter scenario "%s": %d EPCI moved, %s' % (
            scenario.name, scenario.moved_count, scenario.improvement))


def _login(ctx, company):
    "Create the planner's login, the employee of his post"
    from trytond.pool import Pool
    pool = Pool()
    User = pool.get('res.user')
    Lang = pool.get('ir.lang')
    ModelData = pool.get('ir.model.data')
    login, password, role, post, groups = LOGIN
    try:
        from gru_staff import demo
    except ImportError:
        demo = None
    users = User.search([('login', '=', login),
            ('active', 'in', [True, False])])
    if users:
        user, = users
    else:
        languages = Lang.search([('code', '=', 'fr')], limit=1)
        user, = User.create([{
                    'login': login, 'password': password,
                    'name': "Conseiller technique information et réseaux",
                    'language': languages[0].id if languages else None,
                    'companies': [('add', [company.id])],
                    'company': company.id,
                    'groups': [('add', [ModelData.get_id(m, g)
                                for m, g in groups])],
                    }])
        ctx.log('planner login %s created' % login)
    if demo is not None:
        occupants = demo.post_occupants(company, [post])
        if post in occupants:
            demo.link_user(user, occupants[post])
    # a retried transaction loads again: list each login once
    if (login, password, role) not in ctx.logins:
        ctx.logins.append((login, password, role))
