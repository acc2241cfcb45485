# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"The knowledge search window, reachable from the menu and any form."
from trytond.model import ModelView, fields
from trytond.pool import Pool
from trytond.pyson import Eval, PYSONEncoder
from trytond.transaction import Transaction
from trytond.wizard import Button, StateAction, StateView, Wizard


class KnowledgeSearchStart(ModelView):
    "Knowledge Search"
    __string__ = "Knowledge Search"
    __name__ = 'gru.knowledge.search.start'

    query = fields.Char("Search",
        help="Words to find in the articles; accents and case do not "
        "matter.")
    scheme = fields.Many2One('gru.scheme', "Scheme")
    antenna = fields.Many2One('gru.antenna', "Antenna")
    public_only = fields.Boolean("Public Only",
        help="Show only the articles that can be given to users.")
    results = fields.Many2Many('gru.knowledge.article', None, None,
        "Results", readonly=True,
        context={
            'knowledge_query': Eval('query'),
            },
        depends=['query'],
        help="The published articles in force, best match first.")

    @fields.depends('query', 'scheme', 'antenna', 'public_only')
    def on_change_with_results(self):
        Article = Pool().get('gru.knowledge.article')
        if not self.query:
            return []
        found = Article.knowledge_search(self.query,
            scheme=self.scheme.id if self.scheme else None,
            antenna=self.antenna.id if self.antenna else None,
            public_only=bool(self.public_only))
        return [a.id for a, _ in found]


class KnowledgeSearch(Wizard):
    "Knowledge Search"
    __string__ = "Knowledge Search"
    __name__ = 'gru.knowledge.search'

    start = StateView('gru.knowledge.search.start',
        'gru_knowledge.knowledge_search_start_view_form', [
            Button("Close", 'end', 'tryton-close'),
            Button("Open Results", 'open_', 'tryton-launch', default=True),
            ])
    open_ = StateAction('gru_knowledge.act_article_form')

    def default_start(self, fields):
        context = Transaction().context
        model, id_ = context.get('active_model'), context.get('active_id')
        values = {}
        if id_ is None or id_ < 0:
            return values
        if model == 'gru.scheme':
            values['scheme'] = id_
        elif model == 'gru.antenna':
            values['antenna'] = id_
        elif model == 'gru.knowledge.article':
            Article = Pool().get('gru.knowledge.article')
            article = Article(id_)
            if article.scheme:
                values['scheme'] = article.scheme.id
            if article.antenna:
                values['antenna'] = article.antenna.id
        return values

    def do_open_(self, action):
        ids = [a.id for a in self.start.results]
        action['pyson_domain'] = PYSONEncoder().encode(
            [('id', 'in', ids)])
        action['pyson_context'] = PYSONEncoder().encode({
                'knowledge_query': self.start.query,
                })
        if self.start.query:
            action['name'] += ' - %s' % self.start.query
        return action, {}
