import time
from django.db import connection
from django.urls import reverse
from django.test.utils import CaptureQueriesContext
from postroom.accounts.models import Customer, CustomerAddress
from postroom.tickets.models import Ticket
from tests.desk.conftest import signed_in

def test_perf(agent, queues, desk_admin):
    Customer.objects.bulk_create([Customer(name=f"Person {i}") for i in range(30000)], batch_size=2000)
    ids = list(Customer.objects.values_list("pk", flat=True))
    CustomerAddress.objects.bulk_create([CustomerAddress(customer_id=pk, address=f"p{pk}@ex.example") for pk in ids], batch_size=2000)
    qs = [queues["support"], queues["billing"]]
    Ticket.objects.bulk_create([Ticket(subject="x", queue=qs[i % 2], customer_id=ids[(i * 7) % len(ids)]) for i in range(100000)], batch_size=2000)
    for who in (agent, desk_admin):
        client = signed_in(who)
        for url in [reverse("desk:customers"), reverse("desk:customers") + "?q=person 12", reverse("desk:customers") + "?q=p29999@", reverse("desk:customers") + "?q=zzz", reverse("desk:customer", args=[ids[0]])]:
            client.get(url)
            t = time.perf_counter()
            for _ in range(5):
                r = client.get(url)
            print(who.username, url, r.status_code, round((time.perf_counter() - t) / 5 * 1000, 1), "ms")
    with CaptureQueriesContext(connection) as cq:
        signed_in(agent).get(reverse("desk:customers") + "?q=zzz")
    for q in cq.captured_queries:
        if "accounts_customer" in q["sql"] and "ticket_count" in q["sql"]:
            with connection.cursor() as c:
                c.execute("EXPLAIN QUERY PLAN " + q["sql"])
                for row in c.fetchall(): print("   ", row)
