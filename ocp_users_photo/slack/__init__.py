"""A small asynchronous Slack Web API core: any method, one transport, typed errors.

``SlackClient.call(method, ...)`` sends form fields and files with the token in the
``Authorization`` header, under deadlines and bounded retries, reads a bounded reply,
and turns it into a JSON object or a typed error (``ocp_users_photo.errors``). It knows nothing
about photos: the tool and the features around it use it for every method they call.
"""

from ocp_users_photo.slack.client import SlackClient, SlackReply
from ocp_users_photo.slack.form import FilePart
from ocp_users_photo.slack.retry import RetryPolicy, retry_after_seconds

__all__ = ["FilePart", "RetryPolicy", "SlackClient", "SlackReply", "retry_after_seconds"]
