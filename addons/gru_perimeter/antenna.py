# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import re

from trytond.i18n import gettext
from trytond.model import fields
from trytond.pool import Pool, PoolMeta

from .exceptions import AntennaColourError

_COLOUR = re.compile(r'^#[0-9A-Fa-f]{6}$')


class Antenna(metaclass=PoolMeta):
    __name__ = 'gru.antenna'

    map_colour = fields.Char("Map Colour", size=7,
        help="The colour of the antenna's perimeter on the map, as "
        "#RRGGBB (empty: the next colour of the map's palette).")

    @classmethod
    def validate_fields(cls, antennas, field_names):
        super().validate_fields(antennas, field_names)
        if field_names is None or 'map_colour' in field_names:
            for antenna in antennas:
                if (antenna.map_colour
                        and not _COLOUR.match(antenna.map_colour)):
                    raise AntennaColourError(gettext(
                            'gru_perimeter.msg_antenna_colour_invalid',
                            antenna=antenna.rec_name,
                            colour=antenna.map_colour))

    @classmethod
    def on_modification(cls, mode, antennas, field_names=None):
        super().on_modification(mode, antennas, field_names=field_names)
        Pool().get('gru.perimeter.map').clear_cache()
