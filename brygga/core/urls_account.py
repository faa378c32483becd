from django.urls import path

from . import views_account as v

app_name = "account"

urlpatterns = [
    path("logga-in/", v.LoginView.as_view(), name="login"),
    path("logga-ut/", v.LogoutView.as_view(), name="logout"),
    path("tvafaktor/", v.otp_verify, name="otp_verify"),
    path("tvafaktor/aktivera/", v.otp_setup, name="otp_setup"),
    path("profil/", v.profile, name="profile"),
    path("losenord/", v.PasswordChangeView.as_view(), name="password_change"),
]
