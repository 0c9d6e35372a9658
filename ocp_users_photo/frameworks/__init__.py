"""Native tools for agent frameworks, one module each, each behind its own extra.

- ``ocp_users_photo.frameworks.openai_agents``: ``openai_agents_tools(*tools)``, strict
  ``FunctionTool``s for the OpenAI Agents SDK (extra ``openai-agents``);
- ``ocp_users_photo.frameworks.pydantic_ai``: ``pydantic_ai_toolset(*tools)``, a
  ``FunctionToolset`` for Pydantic AI (extra ``pydantic-ai``);
- ``ocp_users_photo.frameworks.langchain``: ``langchain_tools(*tools)``,
  ``StructuredTool``s for LangChain and LangGraph agents (extra ``langchain``).

Each takes one or several ``ModelTool``s (``UsersSetPhoto`` is one) that the host
built with its own token and settings: the model sees only the input schema, and a
call the tool refuses comes back to the model as a correctable error in the
framework's own idiom. A ``UsersSetPhoto`` brings ``usersRestorePhoto`` along (the
undo; ``model_tool.offered_tools``) unless the host turned keeping off
(``keep_previous=False``), so both are offered. Importing this package imports no
framework.
"""
