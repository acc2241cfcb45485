# This file is part of the GRU. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Matching service (who is this usager?) and duplicate detection."""
from collections import defaultdict
from difflib import SequenceMatcher
from itertools import combinations

from sql import Literal, Null, Union
from sql.operators import Like, Or

from trytond.i18n import gettext
from trytond.model import (
    Index, Model, ModelSQL, ModelView, Unique, Workflow, fields)
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.rpc import RPC
from trytond.transaction import Transaction
from trytond.wizard import StateAction, StateTransition, Wizard

from gru_base.model import ExportAccessMixin
from gru_territory.tools import normalize_postal_code

from .exceptions import MatchingInputError
from .party import PHONE_TYPES
from .tools import (
    name_key, name_similarity, normalize_email, normalize_phone, same_name,
    street_key)

# Weights of the evidences; a score is their sum capped at 100
SCORE_REFERENCE = 60
SCORE_EMAIL = 50
SCORE_PHONE = 40
SCORE_FORMER = 10  # taken off for an inactive (former) email or phone
SCORE_NAME = 30  # times the name similarity
SCORE_POSTAL_CODE = 10
SCORE_ADDRESS = 20  # the same street line in the same postal code
SCORE_BIRTH_DATE = 35
MIN_NAME_SIMILARITY = 0.8
NAME_CANDIDATES = 2000

# The policy (decide): what the evidences of a candidate allow.
# An exact identifier that only this usager holds assigns alone.
EXACT_EVIDENCE = {'email', 'phone', 'reference'}
# Two of these assign; one only proposes. A similar name that is not the
# same name (another first name) and the postal code are no piece: they
# only rank the candidates.
INDEPENDENT_EVIDENCE = {'name', 'address', 'former_email', 'former_phone',
    'shared_email', 'shared_phone', 'shared_reference'}


class Matching(Model):
    "Usager Matching"
    __name__ = 'gru.contact.matching'
    __string__ = "Usager Matching"

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__rpc__.update({
                'match': RPC(readonly=True),
                })

    @classmethod
    def match(cls, query):
        """find() for remote calls: query is a dict of its keyword
        arguments (email, phone, name, postal_code, street, reference,
        limit)"""
        keys = {'email', 'phone', 'name', 'postal_code', 'street',
            'reference', 'limit'}
        return cls.find(**{k: v for k, v in (query or {}).items()
                if k in keys})

    @classmethod
    def resolve(cls, email=None, phone=None, name=None, postal_code=None,
            street=None, reference=None, limit=5):
        """Return the decision of the policy (see decide) on what a
        channel captured: the values that are malformed (an OCR misread, a
        display name without letters) are no evidence and are left out."""
        query = {
            'email': email if email and normalize_email(email) else None,
            'phone': phone if phone and normalize_phone(phone) else None,
            'name': name if name and name_key(name) else None,
            'postal_code': postal_code
            if postal_code and normalize_postal_code(postal_code) else None,
            'street': street or None,
            'reference': (reference or '').strip() or None,
            }
        if not any(query[k] for k in ['email', 'phone', 'name',
                    'reference']):
            return cls.decide([])
        return cls.decide(cls.find(limit=limit, **query))

    @classmethod
    def decide(cls, candidates):
        """Return the decision on the candidates of find(), the one
        matching policy of every channel, as a dict:

        - decision: 'assign' (party is the usager), 'propose' (the agent
          chooses among candidates) or 'none' (no candidate);
        - party: the id of the usager assigned or None;
        - candidates: the candidates, best first, with their reasons;
        - explanation: a sentence telling why.

        A candidate is certain when it alone holds an exact identifier
        (email, phone, dossier or PAS reference) or when two independent
        pieces of evidence (the same name, the same street address in the
        same postal code, a former or shared identifier) point to it.
        One piece of fuzzy evidence only proposes: a similar name with the
        same postal code, or a relative at the same address with another
        first name. Two certain candidates are proposed."""
        candidates = list(candidates or [])
        certain = []
        for candidate in candidates:
            evidence = set(candidate.get('evidence') or [])
            if evidence & EXACT_EVIDENCE:
                certain.append((candidate, 'gru_contact.msg_decision_exact'))
            elif len(evidence & INDEPENDENT_EVIDENCE) >= 2:
                certain.append((candidate, 'gru_contact.msg_decision_two'))
        if len({c['party'] for c, _ in certain}) == 1:
            candidate, message = certain[0]
            return {
                'decision': 'assign',
                'party': candidate['party'],
                'candidates': candidates,
                'explanation': gettext(message, name=candidate['name']),
                }
        if certain:
            message = 'gru_contact.msg_decision_ambiguous'
        elif candidates:
            message = 'gru_contact.msg_decision_fuzzy'
        else:
            message = 'gru_contact.msg_decision_none'
        return {
            'decision': 'propose' if candidates else 'none',
            'party': None,
            'candidates': candidates,
            'explanation': gettext(message),
            }

    @classmethod
    def find(cls, email=None, phone=None, name=None, postal_code=None,
            reference=None, street=None, limit=10):
        """Return the usagers matching the evidences, best first.

        Each candidate is a dict: party (id), name, score (0 to 100),
        reasons (list of human sentences), antenna (code or None) and
        evidence (the sorted kinds of evidence that decide() weighs:
        email, phone, reference, former_email, former_phone, shared_email,
        shared_phone, shared_reference, name, name_partial, address,
        postal_code).
        street is the street line of the address (or the lines of an
        address block, each compared): it is evidence with the postal code
        only.
        Malformed input raises MatchingInputError naming the field;
        parties replaced by a merge are found as their survivor.
        """
        email_key = phone_key = key = code = None
        if email:
            email_key = normalize_email(email)
            if not email_key:
                raise MatchingInputError(gettext(
                        'gru_contact.msg_matching_invalid',
                        field=gettext('gru_contact.msg_field_email'),
                        value=email))
        if phone:
            phone_key = normalize_phone(phone)
            if not phone_key:
                raise MatchingInputError(gettext(
                        'gru_contact.msg_matching_invalid',
                        field=gettext('gru_contact.msg_field_phone'),
                        value=phone))
        if postal_code:
            code = normalize_postal_code(postal_code)
            if not code:
                raise MatchingInputError(gettext(
                        'gru_contact.msg_matching_invalid',
                        field=gettext('gru_contact.msg_field_postal_code'),
                        value=postal_code))
        if name:
            key = name_key(name)
            if not key:
                raise MatchingInputError(gettext(
                        'gru_contact.msg_matching_invalid',
                        field=gettext('gru_contact.msg_field_name'),
                        value=name))
        reference = (reference or '').strip() or None
        if not (email_key or phone_key or key or reference):
            raise MatchingInputError(gettext(
                    'gru_contact.msg_matching_no_input'))

        # the street is evidence within the postal code only
        street_keys = {(k, code) for k in map(street_key,
                    (street or '').splitlines()) if k} if code else set()

        scores = defaultdict(int)
        reasons = defaultdict(list)
        kinds = defaultdict(set)

        def add(party_id, score, reason, kind):
            scores[party_id] += score
            reasons[party_id].append(reason)
            kinds[party_id].add(kind)

        for value, types, score, message in [
                (email_key, ['email'], SCORE_EMAIL, 'email'),
                (phone_key, PHONE_TYPES, SCORE_PHONE, 'phone')]:
            if not value:
                continue
            for party_id, active in cls._lookup_mechanism(value, types):
                if active:
                    add(party_id, score, gettext(
                            'gru_contact.msg_reason_%s' % message,
                            value=value), message)
                else:
                    add(party_id, score - SCORE_FORMER, gettext(
                            'gru_contact.msg_reason_former_%s' % message,
                            value=value), 'former_' + message)
        if reference:
            for party_id, type_ in cls._lookup_reference(reference):
                add(party_id, SCORE_REFERENCE, gettext(
                        'gru_contact.msg_reason_reference',
                        value=reference), 'reference')

        rows = cls._party_rows(scores.keys())
        if key:
            rows.update(cls._name_candidates(key, code))
        household = {}
        if key and street_keys:
            household = cls._household_candidates(key, code, street_keys)
            rows.update({i: r for i, r in household.items()
                    if i not in rows})
        streets = cls._street_keys(rows.keys()) if street_keys else {}
        survivors = cls._survivors(rows)
        results = {}
        for party_id, (name_key_, postal_code_, active) in rows.items():
            target = survivors.get(party_id, party_id)
            if target is None:
                continue
            score = scores.get(party_id, 0)
            why = list(reasons.get(party_id, []))
            evidence = set(kinds.get(party_id, ()))
            at_address = bool(streets.get(party_id, set()) & street_keys)
            if key:
                similarity = name_similarity(key, name_key_)
                if similarity == 1 or same_name(key, name_key_):
                    evidence.add('name')
                    score += round(SCORE_NAME * similarity)
                    if similarity == 1:
                        why.append(gettext('gru_contact.msg_reason_name'))
                    else:
                        why.append(gettext(
                                'gru_contact.msg_reason_name_similar',
                                similarity=round(similarity * 100)))
                elif similarity >= MIN_NAME_SIMILARITY or (
                        at_address and party_id in household):
                    evidence.add('name_partial')
                    if similarity >= MIN_NAME_SIMILARITY:
                        score += round(SCORE_NAME * similarity)
                    why.append(gettext(
                            'gru_contact.msg_reason_name_partial',
                            similarity=round(similarity * 100)))
                elif not score:
                    continue
            if at_address:
                evidence.add('address')
                score += SCORE_ADDRESS
                why.append(gettext('gru_contact.msg_reason_address'))
            if code and postal_code_ == code and score:
                evidence.add('postal_code')
                score += SCORE_POSTAL_CODE
                why.append(gettext(
                        'gru_contact.msg_reason_postal_code', value=code))
            if not score:
                continue
            if target != party_id:
                why.append(gettext('gru_contact.msg_reason_replaced'))
            previous = results.get(target)
            if previous is None or previous[0] < score:
                results[target] = (score, why, evidence)
        # an exact identifier held by several usagers (a family's email)
        # does not tell them apart: it is one piece of evidence each
        for kind in EXACT_EVIDENCE:
            holders = [e for _, _, e in results.values() if kind in e]
            if len(holders) > 1:
                for evidence in holders:
                    evidence.discard(kind)
                    evidence.add('shared_' + kind)
        ranked = sorted(results.items(), key=lambda r: (-r[1][0], r[0]))
        ranked = ranked[:limit] if limit else ranked
        parties = cls._party_summaries([r[0] for r in ranked])
        candidates = []
        for party_id, (score, why, evidence) in ranked:
            name, antenna = parties[party_id]
            candidates.append({
                    'party': party_id,
                    'name': name,
                    'score': min(score, 100),
                    'reasons': why,
                    'antenna': antenna,
                    'evidence': sorted(evidence),
                    })
        return candidates

    @classmethod
    def _street_keys(cls, party_ids):
        """Return {id: set of (street key, postal code)} of the active
        addresses of the parties"""
        pool = Pool()
        Address = pool.get('party.address')
        address = Address.__table__()
        cursor = Transaction().connection.cursor()
        result = defaultdict(set)
        party_ids = list(party_ids)
        for i in range(0, len(party_ids), 1000):
            cursor.execute(*address.select(
                    address.party, address.street_unstructured,
                    address.building_number, address.street_name,
                    address.postal_code,
                    where=address.party.in_(party_ids[i:i + 1000])
                    & (address.active == Literal(True))))
            for party_id, street, number, name, code in cursor:
                # the street of party.address: unstructured or the French
                # format of the structured fields
                key = street_key(street) or street_key(
                    ' '.join(filter(None, [number, name])))
                code = normalize_postal_code(code)
                if key and code:
                    result[party_id].add((key, code))
        return result

    @classmethod
    def _household_candidates(cls, key, postal_code, street_keys):
        """Return the rows of the active parties of the postal code that
        share a word of the name key and live at one of the streets: the
        relatives of the sender, proposed but never assigned on that"""
        pool = Pool()
        Party = pool.get('party.party')
        party = Party.__table__()
        cursor = Transaction().connection.cursor()
        words = sorted({w for w in key.split() if len(w) >= 3})
        if not words:
            return {}
        shares = Or([Like(party.name_key, pattern) for word in words
                for pattern in [word + ' %', '% ' + word, '% ' + word + ' %',
                    word]])
        cursor.execute(*party.select(party.id,
                where=(party.postal_code == postal_code)
                & (party.active == Literal(True)) & shares,
                limit=NAME_CANDIDATES))
        ids = [i for i, in cursor]
        streets = cls._street_keys(ids)
        ids = [i for i in ids if streets.get(i, set()) & street_keys]
        return cls._party_rows(ids)

    @classmethod
    def _party_summaries(cls, party_ids):
        "Return {id: (name, antenna code)} of the parties"
        pool = Pool()
        Party = pool.get('party.party')
        Antenna = pool.get('gru.antenna')
        party = Party.__table__()
        antenna = Antenna.__table__()
        cursor = Transaction().connection.cursor()
        if not party_ids:
            return {}
        cursor.execute(*party.join(antenna, 'LEFT',
                condition=party.antenna == antenna.id
                ).select(party.id, party.name, antenna.code,
                where=party.id.in_(list(party_ids))))
        return {id_: (name, code) for id_, name, code in cursor}

    @classmethod
    def known_keys(cls, emails=(), phones=()):
        """Return the set of the normalised emails and phones among emails
        and phones that are on a contact mechanism (one query): find()
        can only match them"""
        pool = Pool()
        ContactMechanism = pool.get('party.contact_mechanism')
        mechanism = ContactMechanism.__table__()
        cursor = Transaction().connection.cursor()
        keys = {normalize_email(e) for e in emails if e}
        keys.update(normalize_phone(p) for p in phones if p)
        keys.discard(None)
        keys = sorted(filter(None, keys))
        found = set()
        for i in range(0, len(keys), 1000):
            cursor.execute(*mechanism.select(mechanism.value_key,
                    where=mechanism.value_key.in_(keys[i:i + 1000])))
            found.update(k for k, in cursor)
        return found

    @classmethod
    def _lookup_mechanism(cls, value, types):
        pool = Pool()
        ContactMechanism = pool.get('party.contact_mechanism')
        mechanism = ContactMechanism.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*mechanism.select(
                mechanism.party, mechanism.active,
                where=(mechanism.value_key == value)
                & mechanism.type.in_(list(types))))
        return list(cursor)

    @classmethod
    def _lookup_reference(cls, reference):
        pool = Pool()
        Identifier = pool.get('party.identifier')
        identifier = Identifier.__table__()
        cursor = Transaction().connection.cursor()
        compact = reference.replace(' ', '')
        cursor.execute(*identifier.select(
                identifier.party, identifier.type,
                where=identifier.code.in_(list({reference, compact}))
                | identifier.code_compact.in_(list({reference, compact}))))
        return list(cursor)

    @classmethod
    def _party_rows(cls, party_ids):
        "Return {id: (name_key, postal_code, active)} of the parties"
        pool = Pool()
        Party = pool.get('party.party')
        party = Party.__table__()
        cursor = Transaction().connection.cursor()
        rows = {}
        party_ids = list(party_ids)
        for i in range(0, len(party_ids), 1000):
            cursor.execute(*party.select(
                    party.id, party.name_key, party.postal_code,
                    party.active,
                    where=party.id.in_(party_ids[i:i + 1000])))
            for id_, key, code, active in cursor:
                rows[id_] = (key, code, active)
        return rows

    @classmethod
    def _name_candidates(cls, key, postal_code=None):
        """Return the rows of the active parties whose name may be key: a
        word starts like one of its words (in the postal code if given)"""
        pool = Pool()
        Party = pool.get('party.party')
        party = Party.__table__()
        cursor = Transaction().connection.cursor()
        # A candidate has a word starting like a word of the name (three
        # letters, four without postal code to stay selective) and, for a
        # name of several words, a word starting like another one despite
        # a typo on its first letter: a typo in one word leaves the other.
        length = 3 if postal_code else 4
        words = sorted({w for w in key.split() if len(w) >= 2})

        def self_and_typos(word):
            # how the word starts if its first letter is right, missing
            # or wrong
            return sorted({word[0], '_' + word[0], word[1]})
        queries = []
        for word in words:
            others = [Like(party.name_key, pattern)
                for other in words if other != word
                for start in self_and_typos(other)
                for pattern in [start + '%', '% ' + start + '%']]
            for column in [party.name_key, party.name_key_rotated]:
                where = Like(column, word[:length] + '%')
                if postal_code:
                    where &= party.postal_code == postal_code
                if others:
                    where &= Or(others)
                queries.append(party.select(
                        party.id, party.name_key, where=where))
        if not queries:
            return {}
        # one index-only scan per word and key, the active test after
        union = Union(*queries) if len(queries) > 1 else queries[0]
        candidates = union.select(
            union.id, union.name_key, limit=NAME_CANDIDATES)
        cursor.execute(*candidates)
        found = {}
        for id_, name_key_ in cursor:
            found[id_] = name_key_
        rows = {}
        matcher = SequenceMatcher(None, autojunk=False)
        matcher.set_seq2(key)
        for id_, name_key_ in found.items():
            matcher.set_seq1(name_key_)
            if matcher.real_quick_ratio() < MIN_NAME_SIMILARITY:
                continue
            if matcher.quick_ratio() < MIN_NAME_SIMILARITY:
                continue
            if name_similarity(key, name_key_) < MIN_NAME_SIMILARITY:
                continue
            rows[id_] = name_key_
        if not rows:
            return {}
        return {i: (k, c, True)
            for i, (k, c, a) in cls._party_rows(rows).items() if a}

    @classmethod
    def _survivors(cls, rows):
        """Return {id: survivor id or None} for the inactive parties:
        the party that replaced them or None to skip them"""
        pool = Pool()
        Party = pool.get('party.party')
        party = Party.__table__()
        cursor = Transaction().connection.cursor()
        result = {}
        todo = {i for i, row in rows.items() if not row[2]}
        for id_ in todo:
            current, seen = id_, set()
            while current is not None and current not in seen:
                seen.add(current)
                cursor.execute(*party.select(
                        party.active, party.replaced_by,
                        where=party.id == current))
                active, replaced_by = cursor.fetchone()
                if active:
                    break
                current = replaced_by
            result[id_] = current
        return result


class Duplicate(ExportAccessMixin, Workflow, ModelSQL, ModelView):
    "Probable Duplicate Usagers"
    __name__ = 'gru.contact.duplicate'
    __string__ = "Probable Duplicate Usagers"

    party = fields.Many2One('party.party', "Usager", required=True,
        readonly=True, ondelete='CASCADE',
        help="The usager proposed to survive (the oldest).")
    other = fields.Many2One('party.party', "Duplicate", required=True,
        readonly=True, ondelete='CASCADE',
        help="The usager proposed to be merged into the first one.")
    score = fields.Integer("Score", readonly=True,
        help="From 0 to 100: how likely both are the same person.")
    reasons = fields.Text("Reasons", readonly=True)
    state = fields.Selection([
            ('open', "Open"),
            ('ignored', "Not a Duplicate"),
            ], "State", readonly=True, required=True, sort=False)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints = [
            ('pair_unique', Unique(t, t.party, t.other),
                'gru_contact.msg_duplicate_pair_unique'),
            ]
        cls._sql_indexes.add(Index(t, (t.other, Index.Equality())))
        cls._order = [('score', 'DESC'), ('id', 'ASC')]
        cls._transitions |= {
            ('open', 'ignored'),
            ('ignored', 'open'),
            }
        cls._buttons.update({
                'ignore': {
                    'invisible': Eval('state') != 'open',
                    'depends': ['state'],
                    },
                'reopen': {
                    'invisible': Eval('state') != 'ignored',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_state(cls):
        return 'open'

    def get_rec_name(self, name):
        return '%s / %s' % (self.party.rec_name, self.other.rec_name)

    @classmethod
    @ModelView.button
    @Workflow.transition('ignored')
    def ignore(cls, duplicates):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('open')
    def reopen(cls, duplicates):
        pass

    @classmethod
    def detect(cls):
        """Recompute the open pairs of probable duplicates among the active
        parties; pairs marked as not duplicates stay so.
        Return the number of open pairs."""
        pool = Pool()
        Party = pool.get('party.party')
        ContactMechanism = pool.get('party.contact_mechanism')
        Configuration = pool.get('gru.contact.configuration')
        threshold = Configuration(1).get_duplicate_threshold()
        cursor = Transaction().connection.cursor()
        party = Party.__table__()
        mechanism = ContactMechanism.__table__()

        people = {}
        blocks = defaultdict(list)
        cursor.execute(*party.select(
                party.id, party.name_key, party.postal_code, party.birth_date,
                where=party.active == Literal(True)))
        for id_, key, code, birth_date in cursor:
            people[id_] = (key, code, birth_date)
            if key:
                blocks[(code, key[:2])].append(id_)

        evidences = defaultdict(dict)
        by_value = defaultdict(set)
        cursor.execute(*mechanism.join(party,
                condition=mechanism.party == party.id).select(
                mechanism.party, mechanism.type, mechanism.value_key,
                where=(mechanism.value_key != Null)
                & (mechanism.active == Literal(True))
                & (party.active == Literal(True))))
        for party_id, type_, value in cursor:
            kind = 'email' if type_ == 'email' else 'phone'
            by_value[(kind, value)].add(party_id)
        for (kind, value), ids in by_value.items():
            if len(ids) < 2 or len(ids) > 20:
                # a switchboard shared by many is no evidence
                continue
            for pair in combinations(sorted(ids), 2):
                evidences[pair][kind] = value
        for ids in blocks.values():
            if len(ids) < 2 or len(ids) > 500:
                continue
            for pair in combinations(sorted(ids), 2):
                similarity = name_similarity(
                    people[pair[0]][0], people[pair[1]][0])
                if similarity >= MIN_NAME_SIMILARITY:
                    evidences[pair]['name'] = similarity

        found = {}
        for pair, evidence in evidences.items():
            (key1, code1, birth1), (key2, code2, birth2) = (
                people[pair[0]], people[pair[1]])
            score, why = 0, []
            if 'email' in evidence:
                score += SCORE_EMAIL
                why.append(gettext('gru_contact.msg_reason_email',
                        value=evidence['email']))
            if 'phone' in evidence:
                score += SCORE_PHONE
                why.append(gettext('gru_contact.msg_reason_phone',
                        value=evidence['phone']))
            similarity = evidence.get('name', name_similarity(key1, key2))
            if similarity >= MIN_NAME_SIMILARITY:
                score += round(SCORE_NAME * similarity)
                if similarity == 1:
                    why.append(gettext('gru_contact.msg_reason_name'))
                else:
                    why.append(gettext('gru_contact.msg_reason_name_similar',
                            similarity=round(similarity * 100)))
            if code1 and code1 == code2:
                score += SCORE_POSTAL_CODE
                why.append(gettext('gru_contact.msg_reason_postal_code',
                        value=code1))
            if birth1 and birth1 == birth2:
                score += SCORE_BIRTH_DATE
                why.append(gettext('gru_contact.msg_reason_birth_date',
                        value=birth1.isoformat()
                        if hasattr(birth1, 'isoformat') else birth1))
            if score >= threshold:
                found[pair] = (min(score, 100), '\n'.join(why))

        existing = {(d.party.id, d.other.id): d for d in cls.search([])}
        to_delete = [d for p, d in existing.items()
            if p not in found and d.state == 'open']
        to_create, to_write = [], []
        for pair, (score, why) in found.items():
            duplicate = existing.get(pair)
            if duplicate is None:
                to_create.append({
                        'party': pair[0], 'other': pair[1],
                        'score': score, 'reasons': why,
                        })
            elif duplicate.score != score or duplicate.reasons != why:
                to_write.extend(([duplicate], {
                            'score': score, 'reasons': why}))
        if to_delete:
            cls.delete(to_delete)
        if to_write:
            cls.write(*to_write)
        for i in range(0, len(to_create), 1000):
            cls.create(to_create[i:i + 1000])
        return cls.search([('state', '=', 'open')], count=True)


class DuplicateDetect(Wizard):
    "Detect Duplicate Usagers"
    __name__ = 'gru.contact.duplicate.detect'
    start = StateTransition()
    open_ = StateAction('gru_contact.act_duplicate_form')

    def transition_start(self):
        Pool().get('gru.contact.duplicate').detect()
        return 'open_'
