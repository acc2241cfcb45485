# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"Knowledge articles, their tags and their past versions."
from sql import Column, Literal, Null, Window
from sql.conditionals import Coalesce
from sql.functions import RowNumber
from sql.operators import Equal

from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, ModelSQL, ModelView, Unique, Workflow, fields)
from trytond.pool import Pool
from trytond.pyson import Bool, Eval, If
from trytond.transaction import Transaction

from . import index
from .exceptions import ArticleValidationError

STATES = [
    ('draft', "Draft"),
    ('published', "Published"),
    ('archived', "Archived"),
    ]
KINDS = [
    ('article', "Article"),
    ('charter', "Reception Charter"),
    ('antenna', "Antenna Information"),
    ('faq', "FAQ"),
    ('language', "Key Messages"),
    ('procedure', "Procedure"),
    ]
SCOPES = [
    ('general', "General"),
    ('scheme', "Scheme"),
    ('antenna', "Antenna"),
    ]
AUDIENCES = [
    ('internal', "Internal"),
    ('public', "Public"),
    ]


class Tag(DeactivableMixin, ModelSQL, ModelView):
    "Knowledge Tag"
    __string__ = "Knowledge Tag"
    __name__ = 'gru.knowledge.tag'

    name = fields.Char("Name", required=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints = [
            ('name_unique', Unique(t, t.name),
                'gru_knowledge.msg_tag_name_unique'),
            ]
        cls._order.insert(0, ('name', 'ASC'))

    @classmethod
    def on_modification(cls, mode, tags, field_names=None):
        super().on_modification(mode, tags, field_names=field_names)
        if mode == 'write' and (not field_names or 'name' in field_names):
            Article = Pool().get('gru.knowledge.article')
            articles = Article.search([('tags', 'in', [t.id for t in tags])])
            index.update(Article, articles)


class Article(Workflow, ModelSQL, ModelView):
    "Knowledge Article"
    __string__ = "Knowledge Article"
    __name__ = 'gru.knowledge.article'
    _history = True

    _states = {
        'readonly': Eval('state') == 'archived',
        }

    title = fields.Char("Title", required=True, states=_states)
    body = fields.Text("Body", required=True, states=_states)
    kind = fields.Selection(KINDS, "Kind", required=True, states=_states)
    scope = fields.Selection(SCOPES, "Scope", required=True, states=_states,
        help="Whether the article is about a scheme, an antenna or the "
        "reception in general.")
    scheme = fields.Many2One('gru.scheme', "Scheme", ondelete='RESTRICT',
        states={
            'readonly': _states['readonly'],
            'invisible': Eval('scope') != 'scheme',
            'required': Eval('scope') == 'scheme',
            })
    antenna = fields.Many2One('gru.antenna', "Antenna", ondelete='RESTRICT',
        states={
            'readonly': _states['readonly'],
            'invisible': Eval('scope') != 'antenna',
            'required': Eval('scope') == 'antenna',
            })
    audience = fields.Selection(AUDIENCES, "Audience", required=True,
        states=_states,
        help="Public articles can be given to users as they are; internal "
        "ones are for agents only.")
    tags = fields.Many2Many('gru.knowledge.article-gru.knowledge.tag',
        'article', 'tag', "Tags", states=_states)
    owner = fields.Many2One('res.user', "Owner", required=True,
        ondelete='RESTRICT', states=_states,
        help="Who keeps the article up to date.")
    review_date = fields.Date("Review Date", states=_states,
        help="When the owner must check the article again.")
    review_due = fields.Function(fields.Boolean("Review Due"),
        'get_review_due', searcher='search_review_due')
    valid_from = fields.Date("Valid From",
        domain=[
            If(Eval('valid_from') & Eval('valid_to'),
                ('valid_from', '<=', Eval('valid_to')),
                ()),
            ], states=_states)
    valid_to = fields.Date("Valid To",
        domain=[
            If(Eval('valid_from') & Eval('valid_to'),
                ('valid_to', '>=', Eval('valid_from')),
                ()),
            ], states=_states)
    state = fields.Selection(STATES, "State", readonly=True, required=True,
        sort=False)
    revisions = fields.One2Many('gru.knowledge.article.revision', 'article',
        "Versions", readonly=True)
    version = fields.Function(fields.Integer("Version"), 'get_version')
    content = fields.Function(fields.Char("Text",
            help="Searches the title, the tags and the body, ignoring "
            "accents and case."),
        'get_content', searcher='search_content')
    excerpt = fields.Function(fields.Text("Excerpt"), 'get_excerpt')

    del _states

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('title', 'ASC'), ('id', 'ASC')]
        cls._transitions |= {
            ('draft', 'published'),
            ('published', 'draft'),
            ('published', 'archived'),
            ('archived', 'draft'),
            }
        cls._buttons.update({
                'draft': {
                    'invisible': Eval('state') == 'draft',
                    'icon': If(Eval('state') == 'archived',
                        'tryton-undo', 'tryton-back'),
                    'depends': ['state'],
                    },
                'publish': {
                    'invisible': Eval('state') != 'draft',
                    'icon': 'tryton-ok',
                    'depends': ['state'],
                    },
                'archive': {
                    'invisible': Eval('state') != 'published',
                    'icon': 'tryton-archive',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def __register__(cls, module_name):
        super().__register__(module_name)
        index.register(cls, module_name)

    @staticmethod
    def default_state():
        return 'draft'

    @staticmethod
    def default_kind():
        return 'article'

    @staticmethod
    def default_scope():
        return 'general'

    @staticmethod
    def default_audience():
        return 'internal'

    @staticmethod
    def default_owner():
        return Transaction().user or None

    @fields.depends('scope', 'scheme', 'antenna')
    def on_change_scope(self):
        if self.scope != 'scheme':
            self.scheme = None
        if self.scope != 'antenna':
            self.antenna = None

    @classmethod
    def validate_fields(cls, articles, field_names):
        super().validate_fields(articles, field_names)
        if field_names and not (field_names & {'scope', 'scheme', 'antenna'}):
            return
        for article in articles:
            if ((article.scope != 'scheme' and article.scheme)
                    or (article.scope != 'antenna' and article.antenna)):
                raise ArticleValidationError(gettext(
                        'gru_knowledge.msg_article_scope_mismatch',
                        article=article.rec_name))

    def get_rec_name(self, name):
        return self.title

    def get_review_due(self, name):
        today = Pool().get('ir.date').today()
        return bool(self.review_date and self.review_date <= today
            and self.state != 'archived')

    @classmethod
    def search_review_due(cls, name, clause):
        today = Pool().get('ir.date').today()
        _, operator, value = clause
        due = [('review_date', '<=', today), ('state', '!=', 'archived')]
        if (operator == '=') == bool(value):
            return due
        return ['OR',
            ('review_date', '=', None),
            ('review_date', '>', today),
            ('state', '=', 'archived'),
            ]

    @classmethod
    def get_version(cls, articles, name):
        Revision = Pool().get('gru.knowledge.article.revision')
        versions = {a.id: 0 for a in articles}
        for revision in Revision.search(
                [('article', 'in', list(versions))],
                order=[('version', 'ASC')]):
            versions[revision.article.id] = revision.version
        return versions

    def get_content(self, name):
        return None

    @classmethod
    def search_content(cls, name, clause):
        _, operator, value = clause
        if not value:
            return []
        value = value.strip('%') if isinstance(value, str) else value
        found = [i for i, _ in index.search(cls, value, limit=None)]
        if operator.startswith('not') or operator.startswith('!'):
            return [('id', 'not in', found)]
        return [('id', 'in', found)]

    def get_excerpt(self, name):
        query = Transaction().context.get('knowledge_query')
        return index.excerpt(self.body, query)

    @classmethod
    def on_modification(cls, mode, articles, field_names=None):
        super().on_modification(mode, articles, field_names=field_names)
        if mode in {'create', 'write'} and (not field_names or (
                    field_names & {'title', 'body', 'tags'})):
            index.update(cls, articles)

    @classmethod
    def copy(cls, articles, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('revisions', None)
        default.setdefault('owner', Transaction().user or None)
        return super().copy(articles, default=default)

    @classmethod
    def knowledge_search(cls, query, scheme=None, antenna=None,
            public_only=False, states=('published',), date=None, limit=20):
        """Return [(article, score)] matching query, best first, among the
        articles in states valid at date (today by default), narrowed to a
        scheme, an antenna and the public audience when given"""
        pool = Pool()
        table = cls.__table__()
        if date is None:
            date = pool.get('ir.date').today()
        where = Literal(True)
        if states:
            where &= table.state.in_(list(states))
        where &= ((table.valid_from == Null) | (table.valid_from <= date))
        where &= ((table.valid_to == Null) | (table.valid_to >= date))
        if scheme:
            where &= Equal(table.scheme, int(scheme))
        if antenna:
            where &= Equal(table.antenna, int(antenna))
        if public_only:
            where &= table.audience == 'public'
        results = index.search(
            cls, query, table=table, where=where, limit=limit)
        articles = cls.browse([i for i, _ in results])
        return list(zip(articles, [s for _, s in results]))

    @classmethod
    @ModelView.button
    @Workflow.transition('draft')
    def draft(cls, articles):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('published')
    def publish(cls, articles):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('archived')
    def archive(cls, articles):
        pass


class ArticleTag(ModelSQL):
    "Knowledge Article Tag"
    __string__ = "Knowledge Article Tag"
    __name__ = 'gru.knowledge.article-gru.knowledge.tag'

    article = fields.Many2One('gru.knowledge.article', "Article",
        required=True, ondelete='CASCADE')
    tag = fields.Many2One('gru.knowledge.tag', "Tag", required=True,
        ondelete='CASCADE')


class Revision(ModelSQL, ModelView):
    "Knowledge Article Version"
    __string__ = "Knowledge Article Version"
    __name__ = 'gru.knowledge.article.revision'

    article = fields.Many2One('gru.knowledge.article', "Article",
        readonly=True)
    version = fields.Integer("Version", readonly=True)
    date = fields.Timestamp("Date", readonly=True)
    user = fields.Many2One('res.user', "By", readonly=True)
    title = fields.Char("Title", readonly=True)
    body = fields.Text("Body", readonly=True)
    state = fields.Selection(STATES, "State", readonly=True)
    audience = fields.Selection(AUDIENCES, "Audience", readonly=True)
    valid_from = fields.Date("Valid From", readonly=True)
    valid_to = fields.Date("Valid To", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [
            ('article', 'ASC'), ('version', 'DESC'), ('id', 'DESC')]
        cls._buttons.update({
                'restore': {
                    'readonly': ~Bool(Eval('article')),
                    'icon': 'tryton-undo',
                    'depends': ['article'],
                    },
                })

    @classmethod
    def table_query(cls):
        Article = Pool().get('gru.knowledge.article')
        history = Article.__table_history__()
        date = Coalesce(history.write_date, history.create_date)
        history_id = Column(history, '__id')
        version = RowNumber(window=Window([history.id],
                order_by=[date.asc, history_id.asc]))
        return history.select(
            history_id.as_('id'),
            history.id.as_('article'),
            version.as_('version'),
            date.as_('date'),
            Coalesce(history.write_uid, history.create_uid).as_('user'),
            history.create_uid.as_('create_uid'),
            history.create_date.as_('create_date'),
            history.write_uid.as_('write_uid'),
            history.write_date.as_('write_date'),
            history.title.as_('title'),
            history.body.as_('body'),
            history.state.as_('state'),
            history.audience.as_('audience'),
            history.valid_from.as_('valid_from'),
            history.valid_to.as_('valid_to'),
            # deleted records leave a row without title
            where=history.title != Null)

    def get_rec_name(self, name):
        return '%s (v%s)' % (self.title, self.version)

    @classmethod
    @ModelView.button
    def restore(cls, revisions):
        """Make the content of the versions the current content of their
        articles (a new version, the history is kept)"""
        Article = Pool().get('gru.knowledge.article')
        for revision in revisions:
            article = revision.article
            if article.state == 'archived':
                raise ArticleValidationError(gettext(
                        'gru_knowledge.msg_article_restore_archived',
                        article=article.rec_name))
            Article.write([article], {
                    'title': revision.title,
                    'body': revision.body,
                    'audience': revision.audience,
                    'valid_from': revision.valid_from,
                    'valid_to': revision.valid_to,
                    })
