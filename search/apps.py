from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "search"

    def ready(self) -> None:
        from django.db.models.signals import post_delete

        from search.actions import forget_deleted, reindex_stories
        from search.models import SavedSearch
        from topics.signals import stories_retopiced

        stories_retopiced.connect(reindex_stories, dispatch_uid="search.reindex_stories")
        # A reader's account deleted takes their searches with it, outside our actions.
        post_delete.connect(forget_deleted, sender=SavedSearch, dispatch_uid="search.forget")
