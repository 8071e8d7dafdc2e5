"""Texts of allauth's pages and e-mails that allauth's German catalogue says informally ("du").

ChannelDesk addresses people formally ("Sie"). allauth's own catalogue cannot be changed, but a
catalogue of an app listed before allauth in INSTALLED_APPS wins: listing allauth's exact
msgids here puts them into the portal's catalogue (`make messages`), where they get formal
German. Only the texts a ChannelDesk user meets are listed (sign-in, reset, password change,
two-factor pages, the account e-mails); docs/security-login.md keeps the German wording.
Nothing reads this list at run time.
"""

from django.utils.translation import gettext_noop

ALLAUTH_FORMAL_TEXTS = (
    gettext_noop("Please type your current password."),
    gettext_noop("Too many failed login attempts. Try again later."),
    gettext_noop("Be patient, you are sending too many requests."),
    gettext_noop("You must type the same password each time."),
    gettext_noop("You cannot remove your primary email address."),
    gettext_noop("You cannot remove your primary email address (%(email)s)."),
    gettext_noop("Your primary email address must be verified."),
    gettext_noop("You have confirmed %(email)s."),
    gettext_noop("Thank you for using %(site_name)s!\n%(site_domain)s"),
    gettext_noop("Your password has been changed."),
    gettext_noop(
        "You're receiving this email because you or someone else has requested a password "
        "reset for your user account.\nIt can be safely ignored if you did not request a "
        "password reset. Click the link below to reset your password."
    ),
    gettext_noop("In case you forgot, your username is %(username)s."),
    gettext_noop("You have signed out."),
    gettext_noop("Are you sure you want to sign out?"),
    gettext_noop(
        "Forgotten your password? Enter your email address below, and we'll send you an "
        "email allowing you to reset it."
    ),
    gettext_noop(
        "We have sent you an email. If you have not received it please check your spam "
        "folder. Otherwise contact us if you do not receive it in a few minutes."
    ),
    gettext_noop(
        "The password reset link was invalid, possibly because it has already been used.  "
        'Please request a <a href="%(passwd_reset_url)s">new password reset</a>.'
    ),
    gettext_noop("Your password is now changed."),
    gettext_noop("You are already logged in as %(user_display)s."),
    gettext_noop("You are about to generate a new set of recovery codes for your account."),
    gettext_noop(
        "You are about to deactivate authenticator app based authentication. Are you sure?"
    ),
)
