# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Emails sent from the web client's email button (ir.email) on a few
requests of several antennas: they hold the usager's address and hang off
a request, so the access rules and the security suite must cover them."""
import datetime as dt

ANTENNAS = ['AMI', 'STQ', 'LAO', 'LIL']


def load(ctx):
    from trytond.pool import Pool
    pool = Pool()
    try:
        Request = pool.get('gru.inbox.request')
    except KeyError:
        ctx.log('client emails skipped: gru_inbox is not activated')
        return
    Email = pool.get('ir.email')
    if Email.search([('resource', 'like', 'gru.inbox.request,%')],
            limit=1):
        ctx.log('client emails: already there')
        return
    to_create = []
    for code in ANTENNAS:
        requests = Request.search([
                ('antenna.code', '=', code),
                ('contact_email', '!=', None),
                ], order=[('id', 'ASC')], limit=1)
        if not requests:
            continue
        request, = requests
        to_create.append({
                'recipients': request.contact_email,
                'subject': "Re: %s" % (request.subject or request.reference),
                'body': ("Bonjour,\n\nNous avons bien reçu votre demande "
                    "%s et revenons vers vous rapidement.\n\nCordialement"
                    % request.reference),
                'resource': str(request),
                'message_id': '<demo-%s-%s@gru.example.org>' % (
                    request.id, dt.date.today().isoformat()),
                })
    Email.create(to_create)
    ctx.log('%d client emails created' % len(to_create))
