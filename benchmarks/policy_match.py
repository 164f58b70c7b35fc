"""涉企政策 matching on PostgreSQL; prints JSON.

Needs DATABASE_URL pointing at an empty PostgreSQL database (`make bench-policies` starts a throwaway cluster).
Inserts N synthetic enterprises (industry over the 97 divisions, scale, one of 20 streets, founding date,
employees, and qualifications in realistic shares, each drawn independently by hashing; codes are unique but
carry no valid check character) with INSERT … SELECT generate_series, and P published
policies with conditions of every kind, then times (median of 5 after a warm-up):

- one policy against every enterprise (`policies.matching_enterprises`: count, and the ids a push inserts), for
  a broad, a narrow and a qualification-heavy policy;
- all live policies for one enterprise (`policies.eligible`, loading the policies included), for 20 enterprises;
- a push of the broad policy (rows and SMS outbox), once.

    python benchmarks/policy_match.py [--enterprises 100000] [--policies 200]
"""

import argparse
import json
import os
import statistics
import time

from synthetic import median_ms, postgres_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiesu.settings")
os.environ.setdefault("JIESU_DEMO", "1")





def _build(n: int, p: int):
    import random

    from django.contrib.auth import get_user_model
    from django.db import connection

    from jiesu.directory.models import Department, Region
    from jiesu.enterprise import industry, policies
    from jiesu.enterprise.models import Enterprise, Qualification

    district = Region.objects.create(code="R", name="区", level=Region.Level.DISTRICT)
    streets = [Region.objects.create(code=f"R{i:02}", name=f"街道{i}", level=Region.Level.STREET, parent=district)
               for i in range(20)]
    unit = Department.objects.create(code="YS", name="营商环境局", kind=Department.Kind.BUREAU)
    divisions = list(industry.DIVISIONS)
    quals = {q.code: q.pk for q in Qualification.objects.all()}
    started = time.perf_counter()
    table = Enterprise._meta.db_table
    street_ids = "ARRAY[" + ",".join(str(s.pk) for s in streets) + "]"
    division_array = "ARRAY[" + ",".join(f"'{d}'" for d in divisions) + "]"
    with connection.cursor() as cursor:
        cursor.execute(f"""
            INSERT INTO {table} (credit_code, name, industry, scale, region_id, address, founded_on, employees,
                                 created_at, updated_at)
            SELECT '91' || lpad(g::text, 16, '0'), '企业' || g,
                   ({division_array})[1 + mod(abs(hashtext('i' || g)), {len(divisions)})],
                   (ARRAY['micro','micro','micro','micro','micro','small','small','small','medium','large'])
                       [1 + mod(abs(hashtext('s' || g)), 10)],
                   ({street_ids})[1 + mod(abs(hashtext('r' || g)), 20)], '',
                   DATE '2000-01-01' + mod(abs(hashtext('f' || g)), 9500), 1 + mod(abs(hashtext('e' || g)), 2000),
                   now(), now()
            FROM generate_series(1, %s) AS g""", [n])
        through = Enterprise.qualifications.through._meta.db_table
        for code, share in (("high_tech", 12), ("tech_sme", 8), ("srdi_sme", 20), ("above_scale", 5)):
            cursor.execute(f"INSERT INTO {through} (enterprise_id, qualification_id) "
                           f"SELECT id, %s FROM {table} WHERE mod(abs(hashtext(%s || id)), %s) = 0",
                           [quals[code], code, share])
        cursor.execute(f"ANALYZE {table}")
        cursor.execute(f"ANALYZE {through}")
    load_seconds = time.perf_counter() - started
    author = get_user_model().objects.create_superuser("bench", password="x")
    from jiesu.directory.models import Staff, StaffRole

    StaffRole.objects.create(staff=Staff.objects.create(user=author, department=unit), role="admin")
    rng = random.Random(7)
    made = []
    for i in range(p):
        conditions = rng.choice([
            {"scales": ["small", "micro"]},
            {"industries": [rng.choice(list(industry.SECTIONS))]},
            {"industries": rng.sample(divisions, 3), "scales": ["medium", "large"]},
            {"qualifications": ["high_tech"]},
            {"qualifications": ["srdi_sme", "tech_sme"], "regions": [rng.choice(streets).code]},
            {"founded_after": "2020-01-01", "max_employees": "50"},
            {},
        ])
        policy = policies.save(author, {"department": "YS", "title": f"政策{i}", "summary": "压测政策要点",
                                        "benefit_form": "subsidy", **conditions})
        policies.submit(author, policy.code)
        made.append(policies.review(author, policy.code, approve=True))
    broad = policies.save(author, {"department": "YS", "title": "广覆盖政策", "summary": "小微企业",
                                   "benefit_form": "subsidy", "scales": ["small", "micro"]})
    narrow = policies.save(author, {"department": "YS", "title": "窄政策", "summary": "软件",
                                    "benefit_form": "subsidy", "industries": ["65"], "scales": ["small"],
                                    "regions": [streets[3].code], "founded_after": "2015-01-01"})
    heavy = policies.save(author, {"department": "YS", "title": "资质政策", "summary": "资质",
                                   "benefit_form": "award", "qualifications": ["high_tech", "srdi_sme"],
                                   "industries": ["C", "I"]})
    for policy in (broad, narrow, heavy):
        policies.submit(author, policy.code)
        policies.review(author, policy.code, approve=True)
    return author, {"broad": broad, "narrow": narrow, "qualification_heavy": heavy}, load_seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--enterprises", type=int, default=100_000)
    parser.add_argument("--policies", type=int, default=200)
    args = parser.parse_args()
    if not postgres_ready("policy_match", "make bench-policies"):
        return
    from jiesu.enterprise import policies
    from jiesu.enterprise.models import Enterprise, Policy, PolicyPush

    author, named, load_seconds = _build(args.enterprises, args.policies)
    one_policy = {}
    for name, policy in named.items():
        policy = Policy.objects.get(pk=policy.pk)
        count = policies.matching_enterprises(policy).count()
        one_policy[name] = {
            "matching": count,
            "count_ms": median_ms(lambda p=policy: policies.matching_enterprises(p).count(), digits=2),
            "ids_ms": median_ms(lambda p=policy: list(policies.matching_enterprises(p).values_list("pk", flat=True)),
                                digits=2),
        }
    sample = list(Enterprise.objects.order_by("?")[:20])
    per_enterprise = []
    found = []
    for enterprise in sample:
        per_enterprise.append(median_ms(lambda e=enterprise: policies.eligible(e), digits=2))
        found.append(len(policies.eligible(enterprise)))
    live = policies.live().count()
    started = time.perf_counter()
    pushed = policies.push(author, named["broad"].code)
    push_seconds = time.perf_counter() - started
    print(json.dumps({
        "benchmark": "policy_match", "enterprises": args.enterprises, "live_policies": live,
        "load_seconds": round(load_seconds, 1),
        "one_policy_all_enterprises": one_policy,
        "all_policies_one_enterprise": {"median_ms": round(statistics.median(per_enterprise), 2),
                                        "max_ms": max(per_enterprise), "eligible_median": statistics.median(found)},
        "push_broad": {"enterprises": pushed, "rows": PolicyPush.objects.count(), "seconds": round(push_seconds, 2)},
    }, ensure_ascii=False))


if __name__ == "__main__":
    main()
