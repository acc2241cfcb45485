# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.model import fields
from trytond.pool import PoolMeta


class Scheme(metaclass=PoolMeta):
    __name__ = 'gru.scheme'

    letter_keywords = fields.Text("Letter Keywords",
        help="Words or phrases, separated by commas or new lines, that "
        "point to this scheme in a letter (e.g. permis de conduire, "
        "auto-école).")
