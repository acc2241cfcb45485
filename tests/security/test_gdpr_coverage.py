"""Personal data (issue #19): every model the security survey finds with a
usager link (survey.py: a Many2One, One2One or Reference to party.party or
gru.inbox.request, or to a model already caught, walked until nothing
changes) must be covered by the export and the anonymisation, that is
named by party.party.gdpr_models(), called over JSON-RPC as the admin.

So a new module whose model holds a usager's data cannot be forgotten: its
model is caught by the walk, and this test fails naming it until the
module extends gdpr_models() (and, with it, its sections of the export
and its part of the anonymisation: addons/gru_contact/gdpr.py).

Only the survey's SQL views (table_query models, e.g. a timeline) are not
required: they store nothing, their rows come from tables that are
personal models themselves, checked here."""
import unittest

from tests.security.survey import survey
from tests.support import RPCError


class GDPRCoverageTestCase(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.survey = survey()

    def gdpr_models(self):
        try:
            return set(self.survey.admin.model('party.party',
                    'gdpr_models'))
        except RPCError as error:
            self.fail("party.party.gdpr_models() is not callable over "
                "JSON-RPC by the admin: %s" % error)

    def test_personal_models_covered(self):
        "Every personal model is covered by the export and anonymisation"
        s = self.survey
        covered = self.gdpr_models()
        missing = sorted(set(s.personal) - covered - s.table_query)
        self.assertFalse(missing, "%d personal models are not in "
            "party.party.gdpr_models() (model: how it reaches a usager):\n"
            "%s" % (len(missing), '\n'.join('  %s: %s' % (m, s.path(m))
                    for m in missing)))

    def test_gdpr_models_exist(self):
        "gdpr_models() names stored models of the server (no typo)"
        unknown = sorted(self.gdpr_models() - self.survey.storage)
        self.assertFalse(unknown,
            "not stored models of the server: %s" % unknown)
