# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime as dt
import doctest

from trytond.pool import Pool
from trytond.tests.test_tryton import ModuleTestCase, with_transaction
from trytond.transaction import Transaction

from gru_knowledge import index, tools
from gru_knowledge.exceptions import ArticleValidationError


def create_articles():
    pool = Pool()
    Article = pool.get('gru.knowledge.article')
    Tag = pool.get('gru.knowledge.tag')
    energy, = Tag.create([{'name': "Énergie"}])
    articles = Article.create([{
                'title': "Chèque Énergie régional",
                'body': "Le chèque énergie aide les ménages modestes à "
                "payer leurs factures de chauffage.\n"
                "La demande se fait en ligne sur la plateforme PAS.",
                'tags': [('add', [energy.id])],
                }, {
                'title': "Charte d'accueil",
                'body': "Nous accueillons chaque usager avec courtoisie. "
                "Nous répondons aux courriels sous cinq jours ouvrés.",
                'kind': 'charter', 'audience': 'public',
                }, {
                'title': "Aide au permis de conduire",
                'body': "L'aide au permis s'adresse aux jeunes en recherche "
                "d'emploi. Elle ne concerne pas les dépenses d'énergie.",
                }, {
                'title': "Brouillon énergie",
                'body': "Article non publié sur l'ÉNERGIE.",
                }])
    Article.publish(articles[:3])
    return articles


class GruKnowledgeTestCase(ModuleTestCase):
    "Test GRU Knowledge module"
    module = 'gru_knowledge'

    def test_doctest_tools(self):
        "Test the normalisation helpers"
        failures, _ = doctest.testmod(tools)
        self.assertEqual(failures, 0)

    def test_excerpt(self):
        "Test the excerpt shows the sentence with the searched word"
        text = "Bonjour.\nLe chèque Énergie aide les ménages. Fin."
        self.assertEqual(index.excerpt(text, "energie"),
            "Le chèque Énergie aide les ménages.")
        self.assertEqual(index.excerpt(text, "absent"), "Bonjour.")
        self.assertTrue(index.excerpt("mot " * 200, "mot").endswith('…'))

    @with_transaction()
    def test_search_ignores_accents_and_case(self):
        "Test 'energie' finds 'Énergie' and the reverse, best first"
        Article = Pool().get('gru.knowledge.article')
        cheque, charter, permis, draft = create_articles()
        for query in ["energie", "ÉNERGIE", "Énergie", "énergie"]:
            with self.subTest(query=query):
                found = [a for a, _ in Article.knowledge_search(query)]
                self.assertEqual(found[0], cheque)
                self.assertIn(permis, found)
                self.assertNotIn(draft, found)
                self.assertNotIn(charter, found)
        found = [a for a, _ in Article.knowledge_search("cheque energie")]
        self.assertEqual(found, [cheque])
        found = [a for a, _ in Article.knowledge_search("COURTOISIE")]
        self.assertEqual(found, [charter])
        self.assertEqual(Article.knowledge_search("électricité"), [])
        self.assertEqual(Article.knowledge_search("  ; ! "), [])
        found = [a for a, _ in Article.knowledge_search(
                "énergie", states=('published', 'draft'))]
        self.assertIn(draft, found)

    @with_transaction()
    def test_search_filters(self):
        "Test the search is narrowed by audience and validity"
        Article = Pool().get('gru.knowledge.article')
        cheque, charter, permis, draft = create_articles()
        found = [a for a, _ in Article.knowledge_search(
                "usager", public_only=True)]
        self.assertEqual(found, [charter])
        self.assertEqual(Article.knowledge_search(
                "energie", public_only=True), [])
        Article.write([cheque], {'valid_to': dt.date(2020, 12, 31)})
        found = [a for a, _ in Article.knowledge_search("energie")]
        self.assertNotIn(cheque, found)
        found = [a for a, _ in Article.knowledge_search(
                "energie", date=dt.date(2020, 6, 1))]
        self.assertIn(cheque, found)

    @with_transaction()
    def test_search_follows_changes(self):
        "Test the index follows the title, body and tag changes"
        pool = Pool()
        Article = pool.get('gru.knowledge.article')
        Tag = pool.get('gru.knowledge.tag')
        cheque, charter, permis, draft = create_articles()
        Article.write([charter], {'body': "Accueil téléphonique au numéro "
                "vert du lundi au vendredi."})
        self.assertEqual(Article.knowledge_search("courtoisie"), [])
        found = [a for a, _ in Article.knowledge_search("telephonique")]
        self.assertEqual(found, [charter])
        tag, = Tag.search([('name', '=', "Énergie")])
        Tag.write([tag], {'name': "Précarité"})
        found = [a for a, _ in Article.knowledge_search("precarite")]
        self.assertEqual(found, [cheque])
        # the client search bar uses the same index
        self.assertEqual(
            Article.search([('content', 'ilike', '%PRÉCARITÉ%')]), [cheque])

    @with_transaction()
    def test_history(self):
        "Test every version is kept, listed and can be restored"
        pool = Pool()
        Article = pool.get('gru.knowledge.article')
        Revision = pool.get('gru.knowledge.article.revision')
        article, = Article.create([{
                    'title': "Horaires de l'antenne",
                    'body': "Ouverte du lundi au vendredi.",
                    }])
        Article.write([article], {'body': "Ouverte du mardi au samedi."})
        Article.publish([article])
        article = Article(article.id)
        self.assertEqual(article.version, 3)
        revisions = sorted(article.revisions, key=lambda r: r.version)
        self.assertEqual([r.version for r in revisions], [1, 2, 3])
        self.assertEqual(revisions[0].body, "Ouverte du lundi au vendredi.")
        self.assertEqual(revisions[0].state, 'draft')
        self.assertEqual(revisions[2].state, 'published')
        self.assertEqual(revisions[0].user.id, Transaction().user)

        Revision.restore([revisions[0]])
        article = Article(article.id)
        self.assertEqual(article.body, "Ouverte du lundi au vendredi.")
        self.assertEqual(article.version, 4)
        found = [a for a, _ in Article.knowledge_search("lundi")]
        self.assertEqual(found, [article])

        Article.archive([article])
        with self.assertRaises(ArticleValidationError):
            Revision.restore([revisions[1]])

    @with_transaction()
    def test_scope_validation(self):
        "Test an article is linked only to what its scope says"
        pool = Pool()
        Article = pool.get('gru.knowledge.article')
        Antenna = pool.get('gru.antenna')
        antenna, = Antenna.create([{'code': 'AMI', 'name': "Amiens"}])
        with self.assertRaises(ArticleValidationError):
            Article.create([{'title': "Amiens", 'body': "Adresse",
                        'scope': 'general', 'antenna': antenna.id}])
        article, = Article.create([{'title': "Amiens", 'body': "Adresse",
                    'scope': 'antenna', 'antenna': antenna.id,
                    'kind': 'antenna'}])
        Article.publish([article])
        found = [a for a, _ in Article.knowledge_search(
                "adresse", antenna=antenna.id)]
        self.assertEqual(found, [article])

    @with_transaction()
    def test_search_window(self):
        "Test the search window lists the ranked results with excerpts"
        pool = Pool()
        Article = pool.get('gru.knowledge.article')
        Start = pool.get('gru.knowledge.search.start')
        cheque, charter, permis, draft = create_articles()
        start = Start(query="ENERGIE")
        self.assertEqual(start.on_change_with_results(),
            [cheque.id, permis.id])
        start = Start(query="energie", public_only=True)
        self.assertEqual(start.on_change_with_results(), [])
        self.assertEqual(Start(query='').on_change_with_results(), [])
        with Transaction().set_context(knowledge_query="plateforme"):
            article = Article(cheque.id)
            self.assertEqual(article.excerpt,
                "La demande se fait en ligne sur la plateforme PAS.")

    @with_transaction()
    def test_review_due(self):
        "Test articles to review are found"
        Article = Pool().get('gru.knowledge.article')
        old, new = Article.create([{
                    'title': "Ancien", 'body': "x",
                    'review_date': dt.date(2000, 1, 1)}, {
                    'title': "Récent", 'body': "x",
                    'review_date': dt.date(2999, 1, 1)}])
        self.assertTrue(old.review_due)
        self.assertFalse(new.review_due)
        self.assertEqual(Article.search([('review_due', '=', True)]), [old])
        self.assertEqual(Article.search([('review_due', '=', False)]), [new])


del ModuleTestCase
