# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.modules.company.tests import CompanyTestMixin
from trytond.tests.test_tryton import ModuleTestCase


class SteeringTestCase(CompanyTestMixin, ModuleTestCase):
    "Test GRU Steering module"
    module = 'gru_steering'


del ModuleTestCase
