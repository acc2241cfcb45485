# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.model import ModelSingleton, ModelSQL, ModelView, fields

DEFAULT_DUPLICATE_THRESHOLD = 70


class Configuration(ModelSingleton, ModelSQL, ModelView):
    "Usager Configuration"
    __name__ = 'gru.contact.configuration'
    __string__ = "Usager Configuration"

    duplicate_threshold = fields.Integer("Duplicate Threshold",
        required=True,
        domain=[
            ('duplicate_threshold', '>=', 1),
            ('duplicate_threshold', '<=', 100),
            ],
        help="The score from which two usagers are listed as probable "
        "duplicates (0 to 100).")

    @classmethod
    def default_duplicate_threshold(cls):
        return DEFAULT_DUPLICATE_THRESHOLD

    def get_duplicate_threshold(self):
        return self.duplicate_threshold or DEFAULT_DUPLICATE_THRESHOLD
