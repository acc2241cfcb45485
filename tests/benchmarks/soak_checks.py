"""The checks at the end of the soak with faults (tests/benchmarks/soak.py):
what the clients sent, read back from the database (SQL on the soak's
own PostgreSQL) and from the SMTP sink."""
import collections
import re

TOKEN = re.compile(r'soak-reply-\d+-\d+-\d+')


def _text(message):
    "The decoded text of the parts of a mail"
    texts = []
    for part in message.walk():
        if part.get_content_maintype() == 'text':
            payload = part.get_payload(decode=True) or b''
            texts.append(payload.decode(
                    part.get_content_charset() or 'utf-8', 'replace'))
    return '\n'.join(texts)


def _counts(connection, sql, keys):
    "Return {key: rows} of sql (a query with = ANY(%s)) for keys"
    result = collections.defaultdict(list)
    keys = list(keys)
    for i in range(0, len(keys), 1000):
        for row in connection.execute(sql, (keys[i:i + 1000],)):
            result[row[0]].append(row[1:])
    return result


def check(soak):
    lines = []
    data = {}
    failed = []

    def out(line=''):
        lines.append(line)

    with soak.pg.connect(soak.database) as connection:
        mails = check_mails(soak, connection, out, failed, data)
        check_intakes(soak, connection, out, failed, data)
        check_calls(soak, connection, out, failed, data)
        check_replies(soak, connection, out, failed, data)
    del mails
    out('faults injected (s from the start of the load):')
    for at, name, detail in soak.faults:
        out('  %6.1f  %-19s %s' % (at, name, detail))
    for service in [soak.serve, soak.gateway]:
        out('  %s restarted by the soak (as a supervisor): %d times%s' % (
                service.name, len(service.restarts),
                ' (exit codes %s)' % [c for _, c in service.restarts]
                if service.restarts else ''))
    out('client retries: %s' % ', '.join('%s %d' % (k, v['retries'])
            for k, v in sorted(soak.stats.items())))
    for name, stats in sorted(soak.stats.items()):
        for error, count in stats['errors'].most_common(3):
            out('  %s: %d x %s' % (name, count, error))
    if soak.client_errors:
        failed.append('%d clients died (soak bug)' % len(soak.client_errors))
    if not getattr(soak, 'drained', False):
        failed.append('queues not drained')
    out('drained: %s' % ('yes' if getattr(soak, 'drained', False)
            else 'NO'))
    out('RESULT: %s' % ('FAIL: ' + '; '.join(failed) if failed
            else 'PASS: nothing lost, nothing twice'))
    data['faults'] = soak.faults
    data['failed'] = failed
    return {'lines': lines, 'data': data, 'failed': failed}


def check_mails(soak, connection, out, failed, data):
    sent = {k: v for k, v in soak.mails.items() if v['appends']}
    received = _counts(connection,
        'SELECT message_key, state, outcome, reason FROM gru_mail_received '
        'WHERE message_key = ANY(%s)', sent)
    messages = _counts(connection,
        "SELECT mail_message_id, request FROM gru_inbox_message "
        "WHERE direction = 'in' AND mail_message_id = ANY(%s)", sent)
    verdicts = collections.Counter()
    reasons = collections.Counter()
    details = {}
    for key, record in sent.items():
        rows = received.get(key, [])
        stored = [r for r in rows if r[0] != 'duplicate']
        if not rows:
            verdict = 'lost'
        elif len(stored) > 1 or len(messages.get(key, [])) > 1:
            verdict = 'duplicated'
        elif stored and stored[0][0] == 'quarantined':
            verdict = 'quarantined'
            reasons[(stored[0][2] or '')[:70]] += 1
        else:
            verdict = 'stored once'
        if record['appends'] > 1:
            verdict += ' (appended %d times)' % record['appends']
        verdicts[(record['kind'], verdict)] += 1
        if not verdict.startswith(('stored once', 'quarantined')):
            details[key] = {'rows': rows, 'messages':
                messages.get(key, []), 'appends': record['appends']}
    outcomes = collections.Counter(
        (r[0], r[1]) for rows in received.values() for r in rows)
    out('mail: %d appended to Dovecot (%d hostile), %d not appended '
        '(client gave up)' % (len(sent),
            sum(1 for v in sent.values() if v['kind'] == 'hostile'),
            len(soak.mails) - len(sent)))
    for (kind, verdict), count in sorted(verdicts.items()):
        out('  %-8s %-34s %d' % (kind, verdict, count))
        if verdict.startswith(('lost', 'duplicated')):
            failed.append('mail %s: %d' % (verdict, count))
    out('  received states/outcomes: %s' % ', '.join(
            '%s/%s %d' % (s, o, c) for (s, o), c in sorted(
                outcomes.items(), key=str)))
    for reason, count in reasons.most_common():
        out('  quarantined %d: %s' % (count, reason))
    try:
        left = soak.dovecot.count(soak.mailbox)
        out('  left in the INBOX: %d, in GRU/Processed: %d, in '
            'GRU/Quarantine: %d' % (left,
                soak.dovecot.count(soak.mailbox, 'GRU/Processed'),
                soak.dovecot.count(soak.mailbox, 'GRU/Quarantine')))
    except Exception as error:  # Dovecot down: said, not fatal here
        out('  Dovecot folders not read: %s' % error)
    data['mail'] = {'verdicts': {'%s: %s' % k: v
            for k, v in verdicts.items()}, 'problems': details}
    return sent


def check_intakes(soak, connection, out, failed, data):
    keys = list(soak.intakes)
    requests = _counts(connection,
        'SELECT client_key, reference FROM gru_inbox_request '
        'WHERE client_key = ANY(%s)', keys)
    verdicts = collections.Counter()
    statuses = collections.Counter()
    problems = {}
    for key, record in soak.intakes.items():
        statuses[record.get('status') or 'gave up'] += 1
        count = len(requests.get(key, []))
        accepted = record.get('status') in {200, 201}
        if count == 1:
            verdict = 'stored once'
        elif count > 1:
            verdict = 'duplicated'
        elif accepted:
            verdict = 'lost (accepted, not stored)'
        elif record.get('gave_up'):
            verdict = 'not stored, client gave up'
        else:
            # every input of the soak is valid: a 4xx is a loss the
            # client cannot retry
            verdict = 'lost (answered %s: %s)' % (record.get('status'),
                record.get('answer', '')[:60])
        verdicts[verdict] += 1
        if verdict != 'stored once':
            problems[key] = dict(record, rows=requests.get(key, []))
        if verdict.startswith(('lost', 'duplicated')):
            failed.append('intake %s %s' % (verdict, key))
    out('intake API: %d requests sent (answers %s)' % (len(keys),
            dict(statuses)))
    for verdict, count in sorted(verdicts.items()):
        out('  %-42s %d' % (verdict, count))
    data['intake'] = {'verdicts': dict(verdicts), 'problems': problems}


def check_calls(soak, connection, out, failed, data):
    call_ids = list(soak.calls)
    calls = _counts(connection,
        'SELECT call_id, outcome, request, id FROM gru_phone_call '
        'WHERE call_id = ANY(%s)', call_ids)
    event_ids = [e for c in soak.calls.values() for e in c['events']]
    events = _counts(connection,
        'SELECT event_key, call FROM gru_phone_call_event '
        'WHERE event_key = ANY(%s)', event_ids)
    callbacks = _counts(connection,
        'SELECT client_key, reference FROM gru_inbox_request '
        'WHERE client_key = ANY(%s)',
        ['phone-callback:' + c for c in call_ids])
    steps = _counts(connection,
        'SELECT c.call_id, s.id FROM gru_phone_call_step s '
        'JOIN gru_phone_call c ON c.id = s.call WHERE c.call_id = ANY(%s)',
        call_ids)
    verdicts = collections.Counter()
    problems = {}
    for call_id, record in soak.calls.items():
        rows = calls.get(call_id, [])
        if not rows:
            verdict = 'lost' if record.get('status') == 200 else (
                'not stored, client gave up')
        elif len(rows) > 1:
            verdict = 'duplicated'
        else:
            verdict = 'stored once'
        events_once = sum(1 for e in record['events']
            if len(events.get(e, [])) == 1)
        events_lost = sum(1 for e in record['events']
            if not events.get(e))
        events_twice = sum(1 for e in record['events']
            if len(events.get(e, [])) > 1)
        callback = len(callbacks.get('phone-callback:' + call_id, []))
        outcome = rows[0][0] if rows else None
        if record.get('decision') == 'callback':
            # out of hours or no antenna open: a callback at the decision
            expected = 'callback'
        else:
            expected = 'missed' if record['missed'] else 'answered'
        if record.get('gave_up'):
            expected = None
        verdicts[verdict] += 1
        verdicts['events stored once'] += events_once
        verdicts['events lost'] += events_lost
        verdicts['events duplicated'] += events_twice
        verdicts['callback requests: %d' % callback] += 1
        verdicts['(info) routing steps of the call: %d' % len(
                steps.get(call_id, []))] += 1
        allowed = {'answered': {'answered', 'overflowed'},
            'callback': {'callback', 'out_of_hours'}}.get(
                expected, {expected})
        if expected and outcome not in allowed:
            verdicts['outcome %s where %s expected' % (
                    outcome, expected)] += 1
        wants_callback = expected in {'missed', 'callback'}
        if wants_callback != bool(callback):
            verdicts['callback %s where %s expected' % (
                    callback, int(wants_callback))] += 1
        if (verdict != 'stored once' or events_lost or events_twice
                or callback > 1 or wants_callback != bool(callback)):
            problems[call_id] = dict(record, rows=rows, callback=callback)
        if record.get('refused'):
            # valid events answered 4xx: the CTI does not send them again
            verdicts['events answered 4xx'] += len(record['refused'])
            failed.append('call %s events refused: %s' % (
                    call_id, record['refused'][0][:80]))
        if record.get('status') not in (None, 200):
            verdicts['decision answered %s' % record['status']] += 1
            failed.append('call %s decision answered %s' % (
                    call_id, record['status']))
        if verdict in {'lost', 'duplicated'}:
            failed.append('call %s %s' % (verdict, call_id))
        if events_lost or events_twice:
            failed.append('call %s events lost %d twice %d' % (
                    call_id, events_lost, events_twice))
        if callback > 1:
            failed.append('call %s: %d callback requests' % (
                    call_id, callback))
        if outcome in {'missed', 'callback', 'out_of_hours'} \
                and not callback:
            failed.append('call %s %s without its callback request' % (
                    call_id, outcome))
    out('phone API: %d calls (%d missed, each with its callback '
        'expected), %d events sent' % (len(call_ids),
            sum(1 for c in soak.calls.values() if c['missed']),
            len(event_ids)))
    for verdict, count in sorted(verdicts.items()):
        out('  %-42s %d' % (verdict, count))
    data['phone'] = {'verdicts': dict(verdicts), 'problems': problems}


def check_replies(soak, connection, out, failed, data):
    delivered = collections.Counter()
    by_message_id = collections.Counter()
    acknowledgements = 0
    for _, message_id, _, message in soak.smtp.accepted:
        by_message_id[message_id] += 1
        if message.get('Auto-Submitted'):
            acknowledgements += 1
        for token in set(TOKEN.findall(_text(message))):
            delivered[token] += 1
    stored = collections.defaultdict(list)
    for row in connection.execute(
            "SELECT substring(body from 'soak-reply-[0-9]+-[0-9]+-[0-9]+'),"
            " mail_state, mail_attempts, mail_error FROM gru_inbox_message "
            "WHERE direction = 'out' AND body LIKE '%%soak-reply-%%'"):
        stored[row[0]].append(row[1:])
    verdicts = collections.Counter()
    statuses = collections.Counter()
    problems = {}
    for token, record in soak.replies.items():
        status = str(record['status'])
        statuses[status.split(' (')[0].split(':')[0]] += 1
        requested = status.startswith(('sent', 'failed', 'found'))
        count = delivered.get(token, 0)
        rows = stored.get(token, [])
        if not requested and not rows:
            verdict = 'not requested (%s)' % status[:50]
        elif count == 1:
            verdict = 'delivered once'
        elif count > 1:
            verdict = 'delivered %d times' % count
        else:
            verdict = 'never delivered (%s)' % ', '.join(
                str(r[0]) for r in rows)
        if len(rows) > 1:
            verdict += ', %d messages stored' % len(rows)
        verdicts[verdict] += 1
        if verdict != 'delivered once' and not verdict.startswith(
                'not requested'):
            problems[token] = dict(record, delivered=count, rows=rows)
            failed.append('reply %s: %s' % (token, verdict))
    twice = {k: v for k, v in by_message_id.items() if v > 1}
    out('replies by agents (JSON-RPC reply wizard): %d asked (%s)' % (
            len(soak.replies), dict(statuses)))
    for verdict, count in sorted(verdicts.items()):
        out('  %-42s %d' % (verdict, count))
    out('SMTP sink: %d mails accepted (%d acknowledgements), %d refusals '
        '(451) during its window, %d Message-IDs delivered more than once'
        % (len(soak.smtp.accepted), acknowledgements, soak.smtp.refused,
            len(twice)))
    if twice:
        failed.append('%d mails delivered twice' % len(twice))
        for message_id, count in list(twice.items())[:10]:
            out('  %s delivered %d times' % (message_id, count))
    data['replies'] = {'verdicts': dict(verdicts), 'problems': problems,
        'twice': twice}
