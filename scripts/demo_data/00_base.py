"""Demo data: the company (Région Hauts-de-France), French for the admin."""
from decimal import Decimal


def load(ctx):
    from trytond.pool import Pool
    pool = Pool()
    User = pool.get('res.user')
    Lang = pool.get('ir.lang')
    fr, = Lang.search([('code', '=', 'fr')])
    if not fr.translatable:
        Lang.write([fr], {'translatable': True})
    admin, = User.search([('login', '=', 'admin')])
    values = {'language': fr.id}
    # sao shows the name of the user in its header: in French (the admin
    # user comes from the XML of res: only root may rename it)
    from trytond.transaction import Transaction
    with Transaction().set_user(0):
        User.write([admin], {'name': "Administrateur"})

    try:
        Company = pool.get('company.company')
    except KeyError:
        Company = None
    if Company is not None:
        Currency = pool.get('currency.currency')
        Party = pool.get('party.party')
        eur = Currency.search([('code', '=', 'EUR')])
        if not eur:
            eur = Currency.create([{
                        'name': "Euro", 'code': 'EUR', 'symbol': '€',
                        'numeric_code': '978', 'rounding': Decimal('0.01'),
                        'digits': 2}])
        companies = Company.search([])
        if not companies:
            party, = Party.create([{'name': "Région Hauts-de-France"}])
            companies = Company.create([{
                        'party': party.id, 'currency': eur[0].id,
                        'timezone': 'Europe/Paris'}])
            ctx.log("company created")
        company = companies[0]
        values['companies'] = [('add', [company.id])]
        values['company'] = company.id
    User.write([admin], values)

    # the configuration wizards are replaced by this demo data: do not open
    # them at the first login
    Item = pool.get('ir.module.config_wizard.item')
    items = Item.search([('state', '!=', 'done')])
    if items:
        Item.write(items, {'state': 'done'})
