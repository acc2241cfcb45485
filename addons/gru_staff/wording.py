# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The wording of the outputs: translated messages with French usage
(elision, plural, numbers, colon)."""
import re

from trytond.i18n import gettext
from trytond.transaction import Transaction


def msg(name, **kwargs):
    text = gettext('gru_staff.msg_out_%s' % name, **kwargs)
    if kwargs and (Transaction().language or '').startswith('fr'):
        text = french_elision(text)
    return text


_ELISION = re.compile(
    r"\b([dDlL])(?:e|a) (?=[aeiouyàâéèêëîïôûhAEIOUYÀÂÉÈÊËÎÏÔÛÉH])")


def french_elision(text):
    """Return the French text with "de" and "le"/"la" elided before a
    vowel: "un poste de Assistant/e" becomes "un poste d'Assistant/e".
    """
    return _ELISION.sub(lambda m: m.group(1) + "'", text)


def format_number(value):
    "Return the number written the French way: 1 234,5"
    if value == int(value):
        text = '{:,d}'.format(int(value))
    else:
        text = '{:,.2f}'.format(float(value)).rstrip('0')
    return text.replace(',', '\u202f').replace('.', ',')


def label_value(label, value):
    "Return 'label: value' with the French space before the colon"
    if (Transaction().language or '').startswith('fr'):
        return '%s\u00a0: %s' % (label, value)
    return '%s: %s' % (label, value)


def count_msg(name, count):
    "Return the message name_one or name_other for count"
    return msg('%s_%s' % (name, 'one' if count == 1 else 'other'),
        count=format_number(count))
