# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The OCR of a registered letter is a task of the queue when trytond-worker
processes run ([queue] worker = True), and the scheduler's job without
them. tests/ops/test_serve.py runs it through a real trytond-worker."""
import datetime as dt
import unittest

from trytond.config import config
from trytond.modules.company.tests import create_company, set_company
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction
from trytond.transaction import Transaction

from gru_letter.letter import OCR_QUEUE, OCR_QUEUE_DELAY

from .test_gdpr import TEXT, scan_pdf
from .test_module import OCR_SKIP, setup_letters


class worker_configured:
    "Set [queue] worker = True for the time of the block"

    def __enter__(self):
        self.previous = config.get('queue', 'worker', default=None)
        config.set('queue', 'worker', 'True')

    def __exit__(self, *exc):
        if self.previous is None:
            config.remove_option('queue', 'worker')
        else:
            config.set('queue', 'worker', self.previous)


@unittest.skipIf(OCR_SKIP, OCR_SKIP)
class GruLetterQueueTestCase(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        activate_module('gru_letter')

    def register(self):
        pool = Pool()
        Letter = pool.get('gru.letter')
        letter, = Letter.register(scan_pdf(TEXT), 'courrier.pdf',
            received_date=dt.date(2026, 3, 2))
        return letter

    @with_transaction()
    def test_without_worker(self):
        "Without a worker no task is queued: the scheduler reads the letter"
        pool = Pool()
        Letter = pool.get('gru.letter')
        Queue = pool.get('ir.queue')
        company = create_company()
        with set_company(company):
            setup_letters(company)
            letter = self.register()
            self.assertEqual(Queue.search([], count=True), 0)
            self.assertEqual(Transaction().tasks, [])
            self.assertEqual(letter.state, 'registered')

            Letter.process_ocr()
            letter = Letter(letter.id)
            self.assertEqual(letter.state, 'to_validate')
            self.assertEqual(letter.postal_code, '80000')
            self.assertTrue(letter.ocr_date)

    @with_transaction()
    def test_with_worker(self):
        "With a worker, register queues one OCR task a letter"
        pool = Pool()
        Letter = pool.get('gru.letter')
        Queue = pool.get('ir.queue')
        company = create_company()
        with set_company(company), worker_configured():
            setup_letters(company)
            first = self.register()
            second = self.register()
            tasks = Queue.search([], order=[('id', 'ASC')])
            self.assertEqual([t.name for t in tasks], [OCR_QUEUE] * 2)
            self.assertEqual([(t.data['model'], t.data['method'],
                        list(t.data['instances'])) for t in tasks], [
                    ('gru.letter', 'process_ocr', [first.id]),
                    ('gru.letter', 'process_ocr', [second.id])])
            # the worker runs them, not the request that queued them
            self.assertEqual(Transaction().tasks, [])

            # the scheduler leaves the letters of the queue alone
            Letter.process_ocr()
            self.assertEqual(Letter(first.id).state, 'registered')

            # the task of the first letter, as trytond-worker runs it
            tasks[0].run()
            first, second = Letter(first.id), Letter(second.id)
            self.assertEqual(first.state, 'to_validate')
            self.assertEqual(first.postal_code, '80000')
            self.assertIsNotNone(Queue(tasks[0].id).finished_at)
            self.assertEqual(second.state, 'registered')

            # a letter whose task did not run is read by the scheduler
            table = Letter.__table__()
            cursor = Transaction().connection.cursor()
            cursor.execute(*table.update([table.create_date],
                    [dt.datetime.now() - OCR_QUEUE_DELAY
                        - dt.timedelta(minutes=1)],
                    where=table.id == second.id))
            Letter.process_ocr()
            self.assertEqual(Letter(second.id).state, 'to_validate')
