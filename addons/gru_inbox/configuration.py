# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.model import (
    ModelSingleton, ModelSQL, ModelView, MultiValueMixin, ValueMixin, fields)
from trytond.modules.company.model import (
    CompanyMultiValueMixin, CompanyValueMixin)
from trytond.pool import Pool
from trytond.pyson import Eval, Id


def default_func(field_name):
    @classmethod
    def default(cls, **pattern):
        return getattr(
            cls.multivalue_model(field_name),
            'default_%s' % field_name, lambda: None)()
    return default


class Configuration(
        ModelSingleton, ModelSQL, ModelView, CompanyMultiValueMixin):
    "Inbox Configuration"
    __string__ = "Inbox Configuration"
    __name__ = 'gru.inbox.configuration'

    request_sequence = fields.MultiValue(fields.Many2One(
            'ir.sequence', "Request Sequence", required=True,
            domain=[
                ('company', 'in',
                    [Eval('context', {}).get('company', -1), None]),
                ('sequence_type', '=',
                    Id('gru_inbox', 'sequence_type_request')),
                ]))
    rule_mode = fields.Selection([
            ('first', "First Matching Rule"),
            ('all', "All Matching Rules"),
            ], "Triage Rules", required=True,
        help="Apply only the first matching rule, or all of them in order "
        "(a rule marked Stop ends the evaluation).")
    mobile_team = fields.Many2One('gru.inbox.team', "Mobile Team",
        help="The mobile team of the information service: requests "
        "overflow to it when no agent of the antenna is available.")

    default_request_sequence = default_func('request_sequence')

    @classmethod
    def default_rule_mode(cls):
        return 'first'

    @classmethod
    def multivalue_model(cls, field):
        pool = Pool()
        if field == 'request_sequence':
            return pool.get('gru.inbox.configuration.sequence')
        return super().multivalue_model(field)


class ConfigurationSequence(ModelSQL, CompanyValueMixin):
    "Inbox Configuration Sequence"
    __string__ = "Inbox Configuration Sequence"
    __name__ = 'gru.inbox.configuration.sequence'
    request_sequence = fields.Many2One(
        'ir.sequence', "Request Sequence", required=True,
        domain=[
            ('company', 'in', [Eval('company', -1), None]),
            ('sequence_type', '=', Id('gru_inbox', 'sequence_type_request')),
            ])

    @classmethod
    def default_request_sequence(cls):
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        try:
            return ModelData.get_id('gru_inbox', 'sequence_request')
        except KeyError:
            return None


__all__ = ['MultiValueMixin', 'ValueMixin']
