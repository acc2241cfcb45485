# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.pool import Pool, PoolMeta


class Rule(metaclass=PoolMeta):
    __name__ = 'ir.rule'

    @classmethod
    def gru_scoped_models(cls):
        """Return the names of the models whose rules read the user's
        antennas (Eval('gru_antennas')) and instructed schemes
        (Eval('gru_schemes')); modules with such rules extend it"""
        return {
            'gru.inbox.request', 'gru.inbox.team', 'party.party',
            'gru.contact.duplicate',
            }

    @classmethod
    def _get_cache_key(cls, model_names):
        pool = Pool()
        User = pool.get('res.user')
        key = super()._get_cache_key(model_names)
        if cls.gru_scoped_models() & set(model_names):
            key = (key,
                tuple(sorted(User.get_gru_antennas())),
                tuple(sorted(User.get_gru_antennas(teams=False))),
                tuple(sorted(User.get_gru_schemes())))
        return key

    @classmethod
    def _get_context(cls, model_name):
        pool = Pool()
        User = pool.get('res.user')
        context = super()._get_context(model_name)
        if model_name in cls.gru_scoped_models():
            context['gru_antennas'] = sorted(User.get_gru_antennas())
            # the antennas given on the user form only: what a manager may
            # manage, so that joining a team cannot widen it
            context['gru_own_antennas'] = sorted(
                User.get_gru_antennas(teams=False))
            context['gru_schemes'] = sorted(User.get_gru_schemes())
        return context
