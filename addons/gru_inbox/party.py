# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from sql import Column

from trytond.model import ModelSQL, convert_from, fields
from trytond.pool import Pool, PoolMeta
from trytond.tools import grouped_slice
from trytond.transaction import Transaction, without_check_access

from gru_contact.gdpr import archive_path


def erase_records(to_erase):
    """Erase the records of to_erase, a list of (Model, domain, resource,
    columns, values) as returned by party.erase's to_erase, the way
    party.erase does (for the retention, which has no party to erase)"""
    pool = Pool()
    Erase = pool.get('party.erase', type='wizard')
    transaction = Transaction()
    cursor = transaction.connection.cursor()
    resources = Erase.get_resources()
    for Model, domain, resource, columns, values in to_erase:
        assert issubclass(Model, ModelSQL)
        assert len(columns) == len(values)
        tables, where = Model.search_domain(domain, active_test=False)
        from_ = convert_from(None, tables, type_='INNER')
        table, _ = tables[None]
        query = from_.select(table.id, where=where)
        if columns:
            model_tables = [Model.__table__()]
            if Model._history:
                model_tables.append(Model.__table_history__())
            for table in model_tables:
                sql_columns, sql_values = [], []
                for column, value in zip(columns, values):
                    column = Column(table, column)
                    sql_columns.append(column)
                    sql_values.append(
                        value(column) if callable(value) else value)
                cursor.execute(*table.update(sql_columns, sql_values,
                        where=table.id.in_(query)))
        if resource:
            for Resource in resources:
                model_tables = [(Resource.__table__(), Resource.resource)]
                if Resource._history:
                    model_tables.append(
                        (Resource.__table_history__(), Resource.resource))
                for table, field in model_tables:
                    cursor.execute(*table.delete(
                            where=table.resource.like(Model.__name__ + ',%')
                            & field.sql_id(table.resource, Model).in_(
                                query)))
    transaction.counter += 1


def usager_family(parties):
    """Return the ids of parties and of the parties merged into them
    (party.replace), as party.erase erases them"""
    pool = Pool()
    Party = pool.get('party.party')
    ids = {p.id for p in parties}
    replacing = list(ids)
    with without_check_access():
        while replacing:
            replacing = [p.id for p in Party.search([
                        ('replaced_by', 'in', replacing),
                        ('active', 'in', [True, False]),
                        ]) if p.id not in ids]
            ids.update(replacing)
    return ids


class Party(metaclass=PoolMeta):
    __name__ = 'party.party'

    gru_requests = fields.One2Many('gru.inbox.request', 'party', "Requests",
        readonly=True,
        help="The requests of the usager; the access rules of the usagers "
        "follow them.")

    @classmethod
    def gdpr_models(cls):
        # ir.email: the mail sent from a request, exported and erased with
        # it; ir.model.log: the audit trail of the requests (event, user,
        # names of the fields changed, never their values) holds no
        # personal data of the usager and stays
        return super().gdpr_models() | {
            'gru.inbox.request', 'gru.inbox.message', 'ir.email',
            'ir.model.log'}

    @classmethod
    def _gdpr_section_models(cls):
        return dict(super()._gdpr_section_models(), **{
                'requests': 'gru.inbox.request',
                'messages': 'gru.inbox.message',
                'emails': 'ir.email',
                'request_attachments': 'ir.attachment',
                })

    def _gdpr_requests(self):
        """Return the requests of the usager: his own and those of the
        usagers merged into him (merged before party.replace moved their
        requests)"""
        pool = Pool()
        Request = pool.get('gru.inbox.request')
        with without_check_access():
            return Request.search([
                    ('party', 'in', list(usager_family([self]))),
                    ], order=[('received_at', 'ASC'), ('id', 'ASC')])

    def _gdpr_sections(self):
        sections = super()._gdpr_sections()
        requests = self._gdpr_requests()
        messages = [m for r in requests for m in r.messages]
        sections['requests'] = [self._gdpr_request_row(r) for r in requests]
        sections['messages'] = [self._gdpr_message_row(m) for m in messages]
        sections['emails'] = [{
                'resource': str(e.resource),
                'date': e.create_date,
                'recipients': e.recipients,
                'recipients_secondary': e.recipients_secondary,
                'recipients_hidden': e.recipients_hidden,
                'subject': e.subject,
                'body': e.body,
                } for e in self._gdpr_emails(requests, messages)]
        sections['request_attachments'] = [
            {k: v for k, v in row.items() if k != 'data'}
            for row in self._gdpr_attachments(requests, messages)]
        return sections

    def _gdpr_files(self):
        files = super()._gdpr_files()
        requests = self._gdpr_requests()
        messages = [m for r in requests for m in r.messages]
        files.extend((row['file'], row['data'])
            for row in self._gdpr_attachments(requests, messages)
            if row['data'] is not None)
        return files

    def _gdpr_request_row(self, request):
        "Return the row of request in the export"
        return {
            'reference': request.reference,
            'channel': request.channel,
            'received_at': request.received_at,
            'subject': request.subject,
            'state': request.state,
            'cancel_reason': request.cancel_reason,
            'priority': request.priority,
            'contact_name': request.contact_name,
            'contact_email': request.contact_email,
            'contact_phone': request.contact_phone,
            'contact_postal_code': request.contact_postal_code,
            'antenna': request.antenna.rec_name if request.antenna else None,
            'antenna_reason': request.antenna_reason,
            'scheme': request.scheme.rec_name if request.scheme else None,
            'motive': request.motive.rec_name if request.motive else None,
            'tags': [t.name for t in request.tags],
            'team': request.team.rec_name if request.team else None,
            'assignee': request.assignee.name if request.assignee else None,
            'duplicate_of': request.duplicate_of.reference
            if request.duplicate_of else None,
            'first_response_at': request.first_response_at,
            'answered_at': request.answered_at,
            'closed_at': request.closed_at,
            'origin_address': request.origin_address,
            'create_date': request.create_date,
            'write_date': request.write_date,
            }

    def _gdpr_message_row(self, message):
        "Return the row of message in the export"
        return {
            'request': message.request.reference,
            'date': message.date,
            'direction': message.direction,
            'channel': message.channel,
            'author': message.author.name if message.author else None,
            'from_address': message.from_address,
            'to_address': message.to_address,
            'subject': message.subject,
            'body': message.body,
            'body_html': message.body_html,
            }

    def _gdpr_emails(self, requests, messages):
        "Return the ir.email sent from the requests and messages"
        pool = Pool()
        Email = pool.get('ir.email')
        emails = []
        with without_check_access():
            for sub in grouped_slice([str(r) for r in
                        list(requests) + list(messages)]):
                emails.extend(Email.search([
                            ('resource', 'in', list(sub)),
                            ], order=[('id', 'ASC')]))
        return emails

    def _gdpr_attachments(self, requests, messages):
        """Return the attachments of the records as rows with their path
        in the archive ('file') and their content ('data')"""
        pool = Pool()
        Attachment = pool.get('ir.attachment')
        rows = []
        by_resource = {}
        records = list(requests) + list(messages)
        with without_check_access():
            for sub in grouped_slice([str(r) for r in records]):
                for attachment in Attachment.search([
                            ('resource', 'in', list(sub)),
                            ], order=[('id', 'ASC')]):
                    by_resource.setdefault(
                        str(attachment.resource), []).append(attachment)
        for record in records:
            if record.__name__ == 'gru.inbox.request':
                folder = ['requests', record.reference]
                reference = record.reference
            else:
                folder = ['requests', record.request.reference,
                    'messages', record.id]
                reference = record.request.reference
            for attachment in by_resource.get(str(record), []):
                data = attachment.data if attachment.type == 'data' else None
                path = archive_path('files', *folder, '%s-%s' % (
                        attachment.id, attachment.name or ''))
                rows.append({
                        'request': reference,
                        'message': record.id
                        if record.__name__ == 'gru.inbox.message' else None,
                        'name': attachment.name,
                        'link': attachment.link,
                        'description': attachment.description,
                        'file': path if data is not None else None,
                        'data': data,
                        })
        return rows

    @classmethod
    def get_preferred_channels(cls):
        "The channels of the requests, with those of the channel modules"
        pool = Pool()
        Request = pool.get('gru.inbox.request')
        return super().get_preferred_channels() + list(Request.channels())


class Replace(metaclass=PoolMeta):
    __name__ = 'party.replace'

    @classmethod
    def fields_to_replace(cls):
        # the requests of a duplicate follow the usager that survives
        return super().fields_to_replace() + [
            ('gru.inbox.request', 'party'),
            ]


class Erase(metaclass=PoolMeta):
    __name__ = 'party.erase'

    def to_erase(self, party_id):
        pool = Pool()
        Request = pool.get('gru.inbox.request')
        return super().to_erase(party_id) + Request._gdpr_to_erase(
            [('party', '=', party_id)])

    @classmethod
    def get_resources(cls):
        pool = Pool()
        # the mail sent from the erased records (recipients, body)
        return super().get_resources() + [pool.get('ir.email')]
