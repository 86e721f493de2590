"""The agent desk's URLs (issue #4), mounted at desk/ in config/urls.py.

Each views module lists its own routes; this file only joins them.
"""

from postroom.desk.views import auth, compose, customers, inbox, ticket

app_name = "desk"

urlpatterns = [
    *auth.urlpatterns,
    *inbox.urlpatterns,
    *ticket.urlpatterns,
    *compose.urlpatterns,
    *customers.urlpatterns,
]
