"""Core's own retention rule: the sign-in records django-axes keeps (user names and client
addresses of attempts and sign-ins). Installation-wide: these rows belong to no municipality."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from .retention import DELETE, INSTALLATION, Disposal, Rule, register


def _plan_sign_in_records(scope, cutoff, now) -> list[Disposal]:
    from axes.models import AccessAttempt, AccessAttemptExpiration, AccessFailureLog, AccessLog

    items = []
    for model, what in (
        (AccessLog, "Inloggning"),
        (AccessAttempt, "Misslyckade inloggningsförsök"),
        (AccessFailureLog, "Misslyckat inloggningsförsök"),
    ):
        label = model._meta.label_lower
        rows = model.objects.filter(attempt_time__lt=cutoff).order_by("pk")
        for pk, at in rows.values_list("pk", "attempt_time").iterator():
            items.append(
                Disposal(
                    "core.sign_in_records", None, label, str(pk), DELETE, f"{what} {at:%Y-%m-%d}"
                )
            )
            if model is AccessAttempt:
                expiration = AccessAttemptExpiration.objects.filter(access_attempt_id=pk)
                for exp_pk in expiration.values_list("pk", flat=True):
                    items.append(
                        Disposal(
                            "core.sign_in_records",
                            None,
                            AccessAttemptExpiration._meta.label_lower,
                            str(exp_pk),
                            DELETE,
                            f"Spärrtid för inloggningsförsök {at:%Y-%m-%d}",
                        )
                    )
    return items


def _apply_sign_in_records(items, now) -> None:
    from .services import dispose_sign_in_records

    dispose_sign_in_records(items, now)


def register_rules() -> None:
    register(
        Rule(
            key="core.sign_in_records",
            label=_("Sign-in records"),
            help_text=_(
                "User names and addresses of sign-ins and failed sign-in attempts, kept to "
                "stop password guessing. The audit trail keeps its own sign-in rows."
            ),
            default=30,
            minimum=1,
            maximum=365,
            scopes=(INSTALLATION,),
            plan=_plan_sign_in_records,
            apply=_apply_sign_in_records,
        )
    )
