#!/usr/bin/env python3
"""Benchmark of the knowledge search on PostgreSQL.

Creates (or reuses) the database 'gru_bench_knowledge' on
postgresql://127.0.0.1:5432/ with gru_knowledge activated, fills it with
10,000 published articles of generated French text (accents, tags,
schemes), then times Article.knowledge_search (the method behind the
"Knowledge Search" window: match, rank, 20 best) over a mix of queries
with and without accents, one to three words, rare and very common
words. Prints p50/p95/p99/max. Target: p95 < 50 ms.

Usage: .venv/bin/python tests/benchmarks/bench_knowledge.py [--articles N]
    [--queries N] [--fresh]
"""
import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
            os.path.abspath(__file__))))
VENV_BIN = os.path.dirname(sys.executable)
URI = os.environ.get(
    'GRU_BENCH_POSTGRESQL_URI', 'postgresql://127.0.0.1:5432/')
DATABASE = 'gru_bench_knowledge'

WORDS = '''aide région usager dossier demande énergie chèque chauffage
logement rénovation isolation prime ménage modeste facture électricité gaz
fioul bois granulés permis conduire emploi mobilité transport trajet
covoiturage véhicule salarié étudiant bourse échelon formation lycée
lycéen apprenti rentrée famille enfant quotient jeunesse culture sport
licence association antenne accueil permanence courrier courriel numéro
vert téléphone rendez-vous plateforme dépôt pièce justificatif identité
domicile imposition revenu plafond montant versement paiement décision
notification recours réclamation délai instruction instructeur référent
complétude éligibilité critère âge résidence commune territoire
intercommunalité département Amiens Arras Cambrai Laon Soissons
Saint-Quentin Hazebrouck Abbeville Fourmies Clermont Montreuil Frévent
Château-Thierry Calais Valenciennes ordinateur numérique équipement panne
support assistance procédure élément langage charte engagement qualité
réponse orientation information conseiller chargé service direction
santé handicap accessibilité senior retraite apprentissage stage alternance
entreprise création reprise agriculture environnement biodiversité eau
déchet climat vélo électrique train TER abonnement tarif réduction gratuité
'''.split()
FILLER = '''le la les de des du un une et ou pour par sur dans avec au aux
est sont peut doit être avoir qui que dont'''.split()
QUERIES = [
    "energie", "Énergie", "cheque energie", "chèque énergie chauffage",
    "renovation isolation", "permis", "permis de conduire", "bourse",
    "bourse étudiante échelon", "lycee", "LYCÉEN ordinateur", "antenne",
    "antenne Château-Thierry", "chateau thierry", "frevent", "Frévent",
    "aide", "région", "dossier", "aide region dossier", "reclamation",
    "délai de réponse", "numero vert", "quotient familial", "eligibilite",
    "velo electrique", "abonnement TER", "handicap accessibilité",
    "covoiturage", "granules bois", "panne support", "recours décision",
    "pièce justificatif domicile", "stage alternance", "zzz-introuvable",
    ]


def percentile(values, p):
    values = sorted(values)
    k = max(0, min(len(values) - 1, int(round(p / 100 * len(values))) - 1))
    return values[k]


def admin(*args):
    with tempfile.NamedTemporaryFile('w', delete=False) as fp:
        fp.write('gru-bench-admin')
    env = dict(os.environ, TRYTONPASSFILE=fp.name)
    try:
        subprocess.run([os.path.join(VENV_BIN, 'trytond-admin'),
                '-d', DATABASE] + list(args), check=True, env=env)
    finally:
        os.unlink(fp.name)


def prepare_database(fresh):
    import psycopg
    with psycopg.connect(URI + 'postgres', autocommit=True) as conn:
        exists = conn.execute('SELECT 1 FROM pg_database WHERE datname = %s',
            (DATABASE,)).fetchone()
        if exists and fresh:
            conn.execute('DROP DATABASE "%s"' % DATABASE)
            exists = False
        if not exists:
            conn.execute('CREATE DATABASE "%s" ENCODING \'UTF8\'' % DATABASE)
    with psycopg.connect(URI + DATABASE) as conn:
        initialised = conn.execute(
            "SELECT 1 FROM information_schema.tables "
            "WHERE table_name = 'ir_module'").fetchone()
    if not initialised:
        print('initialising %s...' % DATABASE, flush=True)
        admin('--all', '--email', 'admin@example.org')
    admin('-u', 'gru_knowledge', '--activate-dependencies')


def vacuum():
    """Vacuum and analyse the article table as autovacuum would after a
    bulk load (each creation also updates the index columns and the
    state, leaving dead row versions behind)"""
    import psycopg
    with psycopg.connect(URI + DATABASE, autocommit=True) as conn:
        conn.execute('VACUUM ANALYZE gru_knowledge_article')


def sentence(rng, n):
    words = []
    for _ in range(n):
        words.append(rng.choice(FILLER) if rng.random() < 0.3
            else rng.choice(WORDS))
    text = ' '.join(words)
    return text[0].upper() + text[1:] + '.'


def fill(pool, count, rng):
    from trytond.transaction import Transaction
    with Transaction().start(DATABASE, 0) as transaction:
        Article = pool.get('gru.knowledge.article')
        Tag = pool.get('gru.knowledge.tag')
        existing = Article.search_count([])
        if existing >= count:
            return existing
        User = pool.get('res.user')
        admin, = User.search([('login', '=', 'admin')])
        tags = Tag.search([])
        if not tags:
            tags = Tag.create([{'name': w} for w in WORDS[:40]])
        start = time.perf_counter()
        todo = count - existing
        while todo > 0:
            batch = min(todo, 500)
            values = []
            for _ in range(batch):
                values.append({
                        'title': sentence(rng, rng.randint(3, 8))[:-1],
                        'body': '\n'.join(sentence(rng, rng.randint(8, 20))
                            for _ in range(rng.randint(4, 12))),
                        'kind': rng.choice(['article', 'faq', 'language',
                                'procedure']),
                        'audience': rng.choice(['internal', 'public']),
                        'owner': admin.id,
                        'tags': [('add', [t.id for t in rng.sample(
                                        tags, rng.randint(0, 3))])],
                        })
            Article.publish(Article.create(values))
            todo -= batch
            transaction.commit()
            print('  %d articles' % (count - todo), flush=True)
        print('created %d articles in %.1f s' % (
                count - existing, time.perf_counter() - start))
        return count


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--articles', type=int, default=10000)
    parser.add_argument('--queries', type=int, default=2000)
    parser.add_argument('--fresh', action='store_true')
    args = parser.parse_args()
    os.environ['TRYTOND_DATABASE__URI'] = URI
    os.environ.pop('TRYTOND_CONFIG', None)
    prepare_database(args.fresh)

    from trytond.pool import Pool
    from trytond.transaction import Transaction
    Pool.start()
    pool = Pool(DATABASE)
    with Transaction().start(DATABASE, 0, readonly=True):
        pool.init()
    rng = random.Random(42)
    total = fill(pool, args.articles, rng)
    vacuum()

    with Transaction().start(DATABASE, 0, readonly=True) as transaction:
        Article = pool.get('gru.knowledge.article')
        database = transaction.database
        print('articles: %d; unaccent extension: %s' % (
                total, 'yes' if database.has_unaccent() else 'no'))
        queries = [rng.choice(QUERIES) for _ in range(args.queries)]
        for query in QUERIES:  # warm up
            Article.knowledge_search(query)
        durations, matches = [], {}
        wall = time.perf_counter()
        for query in queries:
            t0 = time.perf_counter()
            results = Article.knowledge_search(query, limit=20)
            durations.append(time.perf_counter() - t0)
            matches[query] = len(results)
        wall = time.perf_counter() - wall
        for accented, plain in [("Énergie", "energie"),
                ("Frévent", "frevent")]:
            a = [r.id for r, _ in Article.knowledge_search(accented)]
            b = [r.id for r, _ in Article.knowledge_search(plain)]
            print('same results for %r and %r: %s (%d)' % (
                    accented, plain, a == b, len(a)))
        counts = {}
        for query in ("aide", "energie", "zzz-introuvable"):
            table = Article.__table__()
            from gru_knowledge import index
            counts[query] = len(index.search(Article, query,
                    table=table, limit=None))
        print('matching articles (unlimited): %s' % ', '.join(
                '%s=%d' % i for i in counts.items()))
    ms = [d * 1000 for d in durations]
    print('knowledge search: %d queries over %d articles, %.0f queries/s'
        % (len(ms), total, len(ms) / wall))
    print('  p50 %.2f ms  p95 %.2f ms  p99 %.2f ms  max %.2f ms' % (
            statistics.median(ms), percentile(ms, 95), percentile(ms, 99),
            max(ms)))
    target = percentile(ms, 95) < 50
    print('target p95 < 50 ms: %s' % ('met' if target else 'NOT met'))
    return 0 if target else 1


if __name__ == '__main__':
    sys.exit(main())
