# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.pool import PoolMeta

# the models whose record rules read the user's antennas (gru_antennas);
# other steering models add their names here
MODELS = {
    'gru.steering.experiment.indicator',
    'gru.steering.experiment.comparison',
    }


class Rule(metaclass=PoolMeta):
    __name__ = 'ir.rule'

    @classmethod
    def gru_scoped_models(cls):
        return super().gru_scoped_models() | MODELS


class Cron(metaclass=PoolMeta):
    __name__ = 'ir.cron'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.method.selection.append(
            ('gru.steering.pack|generate_previous_month',
                "Generate the Monthly Steering Pack"))
        cls.method.selection.append(
            ('gru.steering.call.day|refresh_all',
                "Refresh the Steering Aggregates of the Last Days"))
        cls.method.selection.append(
            ('gru.steering.aggregate.dirty|refresh_dirty',
                "Refresh the Steering Aggregates Written"))
