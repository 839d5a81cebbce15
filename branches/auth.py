from django.contrib.auth.backends import ModelBackend

from branches.models import User


class ScopedModelBackend(ModelBackend):
    """Django's backend, loading the account's node with it.

    Every scoped query needs ``user.org.path``; reading the node with the
    user saves that query on every request.
    """

    def get_user(self, user_id):
        user = User._default_manager.select_related("org").filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None
