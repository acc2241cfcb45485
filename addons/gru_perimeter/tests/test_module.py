# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.modules.company.tests import CompanyTestMixin
from trytond.tests.test_tryton import ModuleTestCase


class PerimeterTestCase(CompanyTestMixin, ModuleTestCase):
    "Test GRU Perimeter module"
    module = 'gru_perimeter'


del ModuleTestCase
