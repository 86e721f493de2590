"""The desk's views, one module per page family; each lists its `urlpatterns`."""
