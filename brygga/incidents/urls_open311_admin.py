"""URL patterns (included into the incidents namespace by brygga/incidents/urls.py)."""

urlpatterns: list = []
