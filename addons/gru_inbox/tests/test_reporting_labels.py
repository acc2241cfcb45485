# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The labels and colours of the request volumes: the months by their
name in the user's language (in order), a word for the requests without a
scheme or antenna, one colour per channel in every graph and list."""
import datetime as dt
import json
import os
import unittest

from lxml import etree

from trytond.modules.company.tests import create_company, set_company
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction
from trytond.transaction import Transaction

from gru_inbox.reporting import (
    CHANNEL_COLORS, DEFAULT_CHANNEL_COLOR, channel_color, month_label)
from gru_territory.tests.test_module import setup_fixture_plan

LOCALE = os.path.join(os.path.dirname(os.path.dirname(__file__)),
    'locale', 'fr.po')


def load_french():
    pool = Pool()
    Lang = pool.get('ir.lang')
    Translation = pool.get('ir.translation')
    fr, = Lang.search([('code', '=', 'fr')])
    fr.translatable = True
    fr.save()
    Translation.translation_import('fr', 'gru_inbox', LOCALE)


class VolumeLabelsTestCase(unittest.TestCase):
    "Test the labels and colours of the request volumes"

    @classmethod
    def setUpClass(cls):
        activate_module(['gru_inbox'])

    def setup_requests(self):
        """Requests of the last three months, with and without a scheme
        and an antenna; return the antenna"""
        pool = Pool()
        Request = pool.get('gru.inbox.request')
        Scheme = pool.get('gru.scheme')
        Theme = pool.get('gru.scheme.theme')
        Directorate = pool.get('gru.scheme.directorate')
        Date = pool.get('ir.date')
        _, (ami, _, _, _) = setup_fixture_plan()
        theme, = Theme.create([{'name': "Mobilité", 'code': 'MOB'}])
        directorate, = Directorate.create([{'name': "DTM", 'code': 'DTM'}])
        scheme, = Scheme.create([{'code': 'PASS', 'name': "Pass Mobilité",
                    'theme': theme.id, 'directorate': directorate.id}])
        today = Date.today()
        values = []
        for n in range(3):
            year, month = divmod(today.year * 12 + today.month - 1 - n, 12)
            for i in range(n + 1):
                values.append({
                        'channel': 'web' if i % 2 else 'other',
                        'received_at': dt.datetime(year, month + 1, 1, 9,
                            i),
                        'subject': "Demande %d-%d" % (n, i),
                        'antenna': ami.id if i else None,
                        'scheme': scheme.id if i else None,
                        })
        Request.create(values)
        return ami, scheme

    def read(self, dimensions, names, order=None):
        Volume = Pool().get('gru.inbox.request.volume')
        with Transaction().set_context(gru_volume_dimensions=dimensions):
            volumes = Volume.search([], order=order)
            return Volume.read([v.id for v in volumes], names)

    @with_transaction()
    def test_month_label(self):
        "A month by its abbreviated name and year, in the user's language"
        load_french()
        self.assertEqual(month_label('2026-01'), "Jan 2026")
        self.assertEqual(month_label('2025-12'), "Dec 2025")
        with Transaction().set_context(language='fr'):
            self.assertEqual(
                [month_label('2026-%02d' % m) for m in range(1, 13)],
                ["janv. 2026", "févr. 2026", "mars 2026", "avr. 2026",
                    "mai 2026", "juin 2026", "juil. 2026", "août 2026",
                    "sept. 2026", "oct. 2026", "nov. 2026", "déc. 2026"])
        # not a month: as it is
        for value in [None, '', '2026', '2026-13', 'x-y']:
            self.assertEqual(month_label(value), value)

    @with_transaction()
    def test_labels(self):
        "The graphs' labels: months in order, no scheme nor antenna named"
        load_french()
        company = create_company()
        with set_company(company):
            ami, scheme = self.setup_requests()
            order = [('month', 'ASC'), ('id', 'ASC')]
            rows = self.read(['month'], ['month', 'month_name', 'count'],
                order=order)
            months = [r['month'] for r in rows]
            self.assertEqual(len(rows), 3)
            self.assertEqual(months, sorted(months))
            year, month = months[0].split('-')
            self.assertEqual(rows[0]['month_name'], '%s %s' % (
                    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul",
                        "Aug", "Sep", "Oct", "Nov", "Dec"][int(month) - 1],
                    year))
            with Transaction().set_context(language='fr'):
                rows_fr = self.read(['month'], ['month', 'month_name'],
                    order=order)
                # sorted by the label: still the order of the months
                by_name = self.read(['month'], ['month'],
                    order=[('month_name', 'ASC')])
            self.assertEqual([r['month'] for r in rows_fr], months)
            self.assertEqual([r['month'] for r in by_name], months)
            french = ["janv.", "févr.", "mars", "avr.", "mai", "juin",
                "juil.", "août", "sept.", "oct.", "nov.", "déc."]
            self.assertEqual([r['month_name'] for r in rows_fr],
                ['%s %s' % (french[int(m[5:]) - 1], m[:4]) for m in months])

            rows = self.read(['scheme'], ['scheme', 'scheme_name', 'count'])
            names = {r['scheme']: r['scheme_name'] for r in rows}
            self.assertEqual(names, {
                    scheme.id: scheme.rec_name, None: "No Scheme"})
            rows = self.read(['antenna'], ['antenna', 'antenna_name'])
            self.assertEqual({r['antenna']: r['antenna_name'] for r in rows},
                {ami.id: ami.rec_name, None: "No Antenna"})
            with Transaction().set_context(language='fr'):
                rows = self.read(['scheme'], ['scheme', 'scheme_name'])
                self.assertIn("Sans dispositif",
                    [r['scheme_name'] for r in rows])
                rows = self.read(['antenna'], ['antenna', 'antenna_name'])
                self.assertIn("Sans antenne",
                    [r['antenna_name'] for r in rows])

    @with_transaction()
    def test_channel_colors(self):
        "One colour per channel, the same in every graph and list"
        pool = Pool()
        Volume = pool.get('gru.inbox.request.volume')
        View = pool.get('ir.ui.view')
        colors = list(CHANNEL_COLORS.values())
        self.assertEqual(len(set(colors)), len(colors))
        self.assertEqual(set(CHANNEL_COLORS), {
                'email', 'letter', 'phone', 'counter', 'web', 'other'})
        self.assertEqual(channel_color('fax'), DEFAULT_CHANNEL_COLOR)
        counts = dict(Volume.channel_counts())
        self.assertTrue(counts)

        graphs = View.search([
                ('model', '=', Volume.__name__), ('type', '=', 'graph')])
        self.assertGreaterEqual(len(graphs), 4)
        seen = set()
        for view in graphs:
            arch = etree.fromstring(
                Volume.fields_view_get(view.id, 'graph')['arch'])
            for field in arch.xpath('//y/field'):
                if field.get('name') in counts:
                    seen.add(field.get('name'))
                    self.assertEqual(field.get('color'),
                        channel_color(counts[field.get('name')]))
            for field in arch.xpath('//x/field[@name="channel_name"]'):
                seen.add('channel_name')
                self.assertEqual(json.loads(field.get('color')), {
                        n: channel_color(k)
                        for k, n in Volume.get_channels()})
        self.assertEqual(seen, set(counts) | {'channel_name'})

        # the lists ask the colours of the counts
        self.assertEqual(Volume.channel_colors(), {
                name: channel_color(channel)
                for name, channel in counts.items()})
        self.assertIn('channel_colors', Volume.__rpc__)
