"""usersSetPhoto for OCP agents: ``register(agent)`` on an agent you have.

definitions.py (the tool and Slack's API in ocp-agent's shapes), history.py (the
context history, told about each call without token or bytes), route.py (offering
and calling the tool for an agent), register.py (wrapping a caller's agent, once),
headers.py (a token from ocp-agent's ``Authorization`` headers), agent.py (this
package's ``OCPAgent``, imported only when asked for: it needs ocp-agent).
"""

from ocp_users_photo.agents.history import safe_view
from ocp_users_photo.agents.register import register
from ocp_users_photo.agents.route import SlackPhotoRoute

__all__ = ["SlackPhotoRoute", "register", "safe_view"]
