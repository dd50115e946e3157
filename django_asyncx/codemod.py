"""Convert simple sync Django views to async ones: the engine of ``manage.py asyncx_migrate``.

A function view (a module-level ``def`` whose first parameter is ``request``) becomes an
``async def`` in which what would block the event loop is awaited instead: queryset terminals
become their ``a`` twins (``await qs.acount()``), loops over querysets ``async for``,
``list(qs)`` ``await alist(qs)``, ``render`` ``await arender``, ``get_object_or_404``
``await aget_object_or_404``, ``with transaction.atomic():`` ``async with atomic():``,
``instance.save()`` ``await instance.asave()``, a form's ``is_valid()``/``save()``
``await run_in_db(form.is_valid)``, ``request.user`` ``(await request.auser())``, cache calls
their ``a`` twins and ``requests`` calls ``await request.http.<verb>(...)``. The table of
every rule is in the docs (``docs/codemod.md``).

What it cannot convert safely it leaves as it is, with a ``# asyncx:`` comment above the line
saying why and what to do: a call of another sync function of the module (it may query the
database), a paginator over a queryset, raw cursors, ``requests`` arguments the library's
client does not take, decorators it does not know, class-based views (use the ``Async*``
views of :mod:`django_asyncx.views`) and generator views. A view that already is ``async``
is left alone, so running the codemod twice changes nothing the second time.

:func:`migrate_source` converts one module's text; :func:`migrate_paths` files and folders.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import libcst as cst
from libcst.codemod import CodemodContext
from libcst.codemod.visitors import AddImportsVisitor, RemoveImportsVisitor

__all__ = ["Migration", "migrate_paths", "migrate_source"]

NOTE = "# asyncx: "

# The statements a note is attached to (above their first line).
_NOTED = (cst.SimpleStatementLine, cst.If, cst.While, cst.Try, cst.For, cst.With, cst.FunctionDef)

# Queryset methods that return a queryset: a chain of them is still a queryset.
_CHAIN = frozenset(
    [
        "all",
        "filter",
        "exclude",
        "order_by",
        "select_related",
        "prefetch_related",
        "annotate",
        "alias",
        "values",
        "values_list",
        "distinct",
        "only",
        "defer",
        "using",
        "select_for_update",
        "reverse",
        "none",
        "union",
        "intersection",
        "difference",
        "extra",
        "dates",
        "datetimes",
    ]
)
# Queryset methods that run a query and have an ``a`` twin in Django.
_TERMINALS = frozenset(
    [
        "get",
        "create",
        "get_or_create",
        "update_or_create",
        "count",
        "exists",
        "first",
        "last",
        "latest",
        "earliest",
        "aggregate",
        "update",
        "delete",
        "in_bulk",
        "bulk_create",
        "bulk_update",
        "contains",
        "explain",
    ]
)
# Terminals that return one model instance: the name bound to one is an instance.
_INSTANCE_TERMINALS = frozenset(["get", "create", "first", "last", "latest", "earliest"])
_INSTANCE_METHODS = {"save": "asave", "delete": "adelete", "refresh_from_db": "arefresh_from_db"}
_FORM_METHODS = frozenset({"is_valid", "save", "full_clean"})
_SHORTCUTS = {"get_object_or_404": "aget_object_or_404", "get_list_or_404": "aget_list_or_404"}
_CACHE_METHODS = frozenset(
    [
        "get",
        "set",
        "add",
        "delete",
        "get_many",
        "set_many",
        "delete_many",
        "get_or_set",
        "has_key",
        "incr",
        "decr",
        "touch",
        "clear",
    ]
)
_REQUESTS_VERBS = frozenset({"get", "post", "put", "patch", "delete", "head", "options"})
_REQUESTS_KWARGS = frozenset({"params", "headers", "json", "data", "timeout"})
_RESPONSE_RENAMES = {"status_code": "status"}  # requests -> django_asyncx.http.Response
# Decorators that Django applies to async views as they are.
_ASYNC_SAFE_DECORATORS = frozenset(
    [
        "login_required",
        "permission_required",
        "user_passes_test",
        "require_http_methods",
        "require_GET",
        "require_POST",
        "require_safe",
        "csrf_exempt",
        "csrf_protect",
        "ensure_csrf_cookie",
        "never_cache",
        "cache_control",
        "vary_on_headers",
        "vary_on_cookie",
        "xframe_options_exempt",
        "xframe_options_deny",
        "xframe_options_sameorigin",
        "sensitive_variables",
        "sensitive_post_parameters",
        "gzip_page",
        "condition",
        "etag",
        "last_modified",
        "non_atomic_requests",
    ]
)
_GENERIC_VIEWS = {
    name: f"Async{name}"
    for name in [
        "View",
        "TemplateView",
        "RedirectView",
        "DetailView",
        "ListView",
        "FormView",
        "CreateView",
        "UpdateView",
        "DeleteView",
    ]
}


@dataclass
class Migration:
    """What the codemod did to one file: the new text, the views converted, the notes left."""

    path: Path | None
    before: str
    after: str
    converted: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """Whether the file's text changed."""
        return self.before != self.after

    def diff(self) -> str:
        """A unified diff of the change (empty when nothing changed)."""
        name = str(self.path) if self.path else "views.py"
        return "".join(
            difflib.unified_diff(
                self.before.splitlines(keepends=True),
                self.after.splitlines(keepends=True),
                fromfile=f"a/{name}",
                tofile=f"b/{name}",
            )
        )


def _dotted(node: cst.BaseExpression) -> str | None:
    """``a.b.c`` for a Name/Attribute chain, else None."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        head = _dotted(node.value)
        return f"{head}.{node.attr.value}" if head else None
    return None


def _await(node: cst.BaseExpression) -> cst.Await:
    return cst.Await(expression=node)


class _ViewConverter(cst.CSTTransformer):
    """Converts one function view; collects notes per statement."""

    def __init__(self, module: _ModuleConverter) -> None:
        self.module = module
        self.querysets: set[str] = set()
        self.instances: set[str] = set()
        self.forms: set[str] = set()
        self.responses: set[str] = set()
        self._notes: list[list[str]] = []

    # -- notes, attached to the innermost statement -----------------------------------------

    def note(self, text: str) -> None:
        if self._notes:
            self._notes[-1].append(text)

    def _push(self) -> None:
        self._notes.append([])

    def _pop_into(self, node: cst.CSTNodeT) -> cst.CSTNodeT:
        for text in dict.fromkeys(self._notes.pop()):
            node = _with_note(node, text, self.module.notes)
        return node

    def on_visit(self, node: cst.CSTNode) -> bool:
        if isinstance(node, _NOTED):
            self._push()
        return super().on_visit(node)

    def on_leave(
        self, original_node: cst.CSTNodeT, updated_node: cst.CSTNodeT
    ) -> cst.CSTNodeT | cst.RemovalSentinel | cst.FlattenSentinel[cst.CSTNodeT]:
        result = super().on_leave(original_node, updated_node)
        if isinstance(original_node, _NOTED) and isinstance(result, cst.CSTNode):
            return self._pop_into(result)
        return result

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
        self._bind(node)

    # -- what names hold ------------------------------------------------------------------

    def _bind(self, node: cst.SimpleStatementLine) -> None:
        for stmt in node.body:
            if not isinstance(stmt, cst.Assign) or len(stmt.targets) != 1:
                continue
            target = stmt.targets[0].target
            value = stmt.value
            if isinstance(target, cst.Name):
                self._bind_name(target.value, value)
            elif isinstance(target, cst.Tuple) and isinstance(value, cst.Call):
                # obj, created = Model.objects.get_or_create(...)
                method = value.func
                if (
                    isinstance(method, cst.Attribute)
                    and method.attr.value in {"get_or_create", "update_or_create"}
                    and self.is_queryset(method.value)
                    and target.elements
                    and isinstance(target.elements[0].value, cst.Name)
                ):
                    self.instances.add(target.elements[0].value.value)

    def _bind_name(self, name: str, value: cst.BaseExpression) -> None:
        for group in (self.querysets, self.instances, self.forms, self.responses):
            group.discard(name)
        if self.is_queryset(value):
            self.querysets.add(name)
        elif isinstance(value, cst.Call):
            func = value.func
            dotted = _dotted(func) or ""
            if isinstance(func, cst.Attribute) and self.is_queryset(func.value):
                if func.attr.value in _INSTANCE_TERMINALS:
                    self.instances.add(name)
            elif (
                isinstance(func, cst.Attribute)
                and func.attr.value == "save"
                and isinstance(func.value, cst.Name)
                and func.value.value in self.forms
            ):
                self.instances.add(name)  # a model form's save() returns the instance
            elif dotted == "get_object_or_404":
                self.instances.add(name)
            elif dotted.rsplit(".", 1)[-1].endswith("Form"):
                self.forms.add(name)
            elif self.module.is_requests_call(dotted):
                self.responses.add(name)

    def is_queryset(self, node: cst.BaseExpression) -> bool:
        """Whether ``node`` is, syntactically, a queryset or a manager."""
        if isinstance(node, cst.Name):
            return node.value in self.querysets
        if isinstance(node, cst.Attribute):
            attr = node.attr.value
            if attr in {"objects", "_default_manager"} and isinstance(
                node.value, cst.Name | cst.Attribute
            ):
                return True
            # A related manager: author.book_set
            return attr.endswith("_set") and isinstance(node.value, cst.Name)
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
            return node.func.attr.value in _CHAIN and self.is_queryset(node.func.value)
        if isinstance(node, cst.Subscript):  # qs[:10] is still a queryset
            return all(isinstance(el.slice, cst.Slice) for el in node.slice) and (
                self.is_queryset(node.value)
            )
        return False

    # -- conversions ----------------------------------------------------------------------

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        func = updated_node.func
        dotted = _dotted(original_node.func) or ""
        module = self.module
        if isinstance(func, cst.Attribute):
            method = func.attr.value
            owner = cast(cst.Attribute, original_node.func).value
            if method in _TERMINALS and self.is_queryset(owner):
                return _await(
                    updated_node.with_changes(func=func.with_changes(attr=cst.Name("a" + method)))
                )
            if method == "iterator" and self.is_queryset(owner):
                self.note("a queryset's iterator(): use `async for obj in qs.aiterator():`")
                return updated_node
            holder = owner.value if isinstance(owner, cst.Name) else None
            if holder in self.instances and method in _INSTANCE_METHODS:
                new = func.with_changes(attr=cst.Name(_INSTANCE_METHODS[method]))
                return _await(updated_node.with_changes(func=new))
            if holder in self.forms and method in _FORM_METHODS:
                module.need("django_asyncx.db", "run_in_db")
                args = [cst.Arg(value=func), *updated_node.args]
                return _await(cst.Call(func=cst.Name("run_in_db"), args=args))
            if module.is_cache(dotted) and method in _CACHE_METHODS:
                return _await(
                    updated_node.with_changes(func=func.with_changes(attr=cst.Name("a" + method)))
                )
            if module.is_requests_call(dotted):
                return self._requests_call(method, updated_node)
            if dotted in {"connection.cursor", "connections.cursor"} or method == "cursor":
                self.note(
                    "a raw cursor is sync: move the SQL into a function and call it with "
                    "`await run_in_db(fn)`"
                )
            if dotted.endswith((".get_page", ".page")):
                self.note(
                    "a Paginator over a queryset runs its queries when read: build the page in "
                    "`await run_in_db(fn)` or use AsyncListView"
                )
        elif isinstance(func, cst.Name):
            name = func.value
            if name == "render" and module.imports.get("render") == "django.shortcuts":
                module.need("django_asyncx.templates", "arender")
                module.drop("django.shortcuts", "render")
                return _await(updated_node.with_changes(func=cst.Name("arender")))
            if name in _SHORTCUTS and module.imports.get(name) == "django.shortcuts":
                module.need("django.shortcuts", _SHORTCUTS[name])
                module.drop("django.shortcuts", name)
                return _await(updated_node.with_changes(func=cst.Name(_SHORTCUTS[name])))
            if (
                name == "list"
                and len(updated_node.args) == 1
                and self.is_queryset(original_node.args[0].value)
            ):
                module.need("django_asyncx.db", "alist")
                return _await(updated_node.with_changes(func=cst.Name("alist")))
            if name == "Paginator":
                self.note(
                    "a Paginator over a queryset runs its queries when read: build the page in "
                    "`await run_in_db(fn)` or use AsyncListView"
                )
            if name in module.sync_functions:
                self.note(
                    f"{name}() is a sync function of this module: if it queries the database "
                    f"or does I/O, call it as `await run_in_db({name}, ...)`"
                )
        return updated_node

    def _requests_call(self, method: str, node: cst.Call) -> cst.BaseExpression:
        keywords = {arg.keyword.value for arg in node.args if arg.keyword is not None}
        unknown = sorted(keywords - _REQUESTS_KWARGS)
        if method not in _REQUESTS_VERBS or unknown or not self.module.has_request:
            what = f"requests.{method}()" + (f" with {', '.join(unknown)}" if unknown else "")
            self.note(
                f"{what} blocks the event loop and has no direct equivalent: call the "
                "upstream with `await request.http.request(...)` (django_asyncx.http)"
            )
            return node
        http = cst.Attribute(value=cst.Name("request"), attr=cst.Name("http"))
        self.module.drop_module("requests")
        return _await(node.with_changes(func=cst.Attribute(value=http, attr=cst.Name(method))))

    def leave_Attribute(
        self, original_node: cst.Attribute, updated_node: cst.Attribute
    ) -> cst.BaseExpression:
        owner = original_node.value
        if isinstance(owner, cst.Name) and owner.value in self.responses:
            attr = original_node.attr.value
            if attr in _RESPONSE_RENAMES:
                return updated_node.with_changes(attr=cst.Name(_RESPONSE_RENAMES[attr]))
            if attr == "text":  # a property in requests, a method here
                return cst.Call(func=updated_node)
        if (
            isinstance(owner, cst.Name)
            and owner.value == "request"
            and original_node.attr.value == "user"
            and self.module.has_request
        ):
            call = cst.Call(func=cst.Attribute(value=cst.Name("request"), attr=cst.Name("auser")))
            return cst.Await(expression=call, lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
        return updated_node

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False  # a nested function stays sync: its calls are its own

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return False

    def leave_For(self, original_node: cst.For, updated_node: cst.For) -> cst.For:
        if original_node.asynchronous is None and self.is_queryset(original_node.iter):
            updated_node = updated_node.with_changes(asynchronous=cst.Asynchronous())
        return updated_node

    def leave_With(self, original_node: cst.With, updated_node: cst.With) -> cst.With:
        if original_node.asynchronous is None and all(
            self.module.is_atomic(item.item) for item in original_node.items
        ):
            items = [
                item.with_changes(item=self.module.async_atomic(item.item))
                for item in updated_node.items
            ]
            updated_node = updated_node.with_changes(asynchronous=cst.Asynchronous(), items=items)
        return updated_node

    def leave_Subscript(
        self, original_node: cst.Subscript, updated_node: cst.Subscript
    ) -> cst.BaseExpression:
        if self.is_queryset(original_node.value) and any(
            isinstance(el.slice, cst.Index) for el in original_node.slice
        ):
            self.note("indexing a queryset runs a query: use `await qs.afirst()` or a slice")
        return updated_node


class _ModuleConverter(cst.CSTTransformer):
    """Walks a module: converts its function views, notes what it leaves."""

    def __init__(self, context: CodemodContext) -> None:
        self.context = context
        self.imports: dict[str, str] = {}  # local name -> module it is imported from
        self.module_aliases: dict[str, str] = {}  # local name -> module (import x as y)
        self.sync_functions: set[str] = set()
        self.converted: list[str] = []
        self.notes: list[str] = []
        self.has_request = False
        self._depth = 0

    # -- imports -------------------------------------------------------------------------

    def visit_Module(self, node: cst.Module) -> None:
        for stmt in node.body:
            if isinstance(stmt, cst.SimpleStatementLine):
                for small in stmt.body:
                    self._record_import(small)
            elif (
                isinstance(stmt, cst.FunctionDef)
                and not _is_view(stmt)
                and stmt.asynchronous is None
            ):
                self.sync_functions.add(stmt.name.value)

    def _record_import(self, node: cst.BaseSmallStatement) -> None:
        if isinstance(node, cst.ImportFrom) and node.module is not None:
            source = _dotted(node.module) or ""
            if isinstance(node.names, cst.ImportStar):
                return
            for alias in node.names:
                name = _dotted(alias.name) or ""
                local = alias.asname.name.value if alias.asname else name  # type: ignore[union-attr]
                self.imports[local] = f"{source}.{name}" if name == "transaction" else source
        elif isinstance(node, cst.Import):
            for alias in node.names:
                name = _dotted(alias.name) or ""
                local = alias.asname.name.value if alias.asname else name  # type: ignore[union-attr]
                self.module_aliases[local] = name

    def need(self, module: str, name: str) -> None:
        AddImportsVisitor.add_needed_import(self.context, module, name)

    def drop(self, module: str, name: str) -> None:
        RemoveImportsVisitor.remove_unused_import(self.context, module, name)

    def drop_module(self, module: str) -> None:
        RemoveImportsVisitor.remove_unused_import(self.context, module)

    def is_requests_call(self, dotted: str) -> bool:
        head = dotted.split(".", 1)[0]
        return "." in dotted and self.module_aliases.get(head) == "requests"

    def is_cache(self, dotted: str) -> bool:
        head = dotted.split(".", 1)[0]
        return "." in dotted and self.imports.get(head) == "django.core.cache"

    def is_atomic(self, node: cst.BaseExpression) -> bool:
        target = node.func if isinstance(node, cst.Call) else node
        dotted = _dotted(target) or ""
        if dotted == "transaction.atomic":
            return self.imports.get("transaction") == "django.db.transaction"
        return dotted == "atomic" and self.imports.get("atomic") == "django.db.transaction"

    def async_atomic(self, node: cst.BaseExpression) -> cst.BaseExpression:
        self.need("django_asyncx.db", "atomic")
        if _dotted(node.func if isinstance(node, cst.Call) else node) == "transaction.atomic":
            self.drop("django.db", "transaction")
        else:
            self.drop("django.db.transaction", "atomic")
        if isinstance(node, cst.Call):
            return node.with_changes(func=cst.Name("atomic"))
        return cst.Name("atomic")

    # -- functions -----------------------------------------------------------------------

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        self._depth += 1
        return False  # views are converted as a whole in leave_FunctionDef

    def leave_FunctionDef(
        self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef
    ) -> cst.FunctionDef:
        self._depth -= 1
        if self._depth or not _is_view(original_node) or original_node.asynchronous:
            return updated_node
        refusal = _refusal(original_node)
        if refusal:
            return _with_note(updated_node, refusal, self.notes)
        self.has_request = True
        converter = _ViewConverter(self)
        converter._push()
        body = updated_node.body.visit(converter)
        decorators = [self._decorator(d, converter) for d in updated_node.decorators]
        new = updated_node.with_changes(
            body=body, decorators=decorators, asynchronous=cst.Asynchronous()
        )
        new = converter._pop_into(new)
        self.has_request = False
        self.converted.append(original_node.name.value)
        return new

    def _decorator(self, decorator: cst.Decorator, converter: _ViewConverter) -> cst.Decorator:
        expr = decorator.decorator
        if self.is_atomic(expr):
            return decorator.with_changes(decorator=self.async_atomic(expr))
        target = expr.func if isinstance(expr, cst.Call) else expr
        name = (_dotted(target) or "").rsplit(".", 1)[-1]
        if name not in _ASYNC_SAFE_DECORATORS:
            converter.note(
                f"decorator @{_dotted(target) or '...'}: check that it supports async views "
                "(Django's own do)"
            )
        return decorator

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return False

    def leave_ClassDef(
        self, original_node: cst.ClassDef, updated_node: cst.ClassDef
    ) -> cst.ClassDef:
        bases = [_dotted(base.value) or "" for base in original_node.bases]
        generic = [b.rsplit(".", 1)[-1] for b in bases if b.rsplit(".", 1)[-1] in _GENERIC_VIEWS]
        if not generic:
            return updated_node
        swap = ", ".join(f"{g} -> {_GENERIC_VIEWS[g]}" for g in generic)
        return _with_note(
            updated_node,
            f"class-based view: use django_asyncx.views' async twin ({swap}) and make its "
            "overridden methods async",
            self.notes,
        )


def _is_view(node: cst.FunctionDef) -> bool:
    params = node.params.params
    return bool(params) and params[0].name.value == "request"


def _refusal(node: cst.FunctionDef) -> str | None:
    """Why a view is left sync as a whole, or None."""
    finder = _Finder()
    node.body.visit(finder)
    if finder.yields:
        return "a generator view is left sync: stream with django_asyncx.templates.astream_template"
    if finder.globals:
        return "the view rebinds module globals: convert it by hand"
    return None


class _Finder(cst.CSTVisitor):
    def __init__(self) -> None:
        self.yields = False
        self.globals = False

    def visit_Yield(self, node: cst.Yield) -> None:
        self.yields = True

    def visit_Global(self, node: cst.Global) -> None:
        self.globals = True

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False  # a nested function's yield is its own

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False


def _with_note(node: cst.CSTNodeT, text: str, notes: list[str]) -> cst.CSTNodeT:
    comment = NOTE + text
    lines = list(node.leading_lines)  # type: ignore[attr-defined]
    if any(line.comment is not None and line.comment.value == comment for line in lines):
        return node
    notes.append(text)
    lines.append(cst.EmptyLine(comment=cst.Comment(comment)))
    return node.with_changes(leading_lines=lines)


def migrate_source(source: str, *, path: Path | None = None) -> Migration:
    """Convert the function views of one module's source; nothing is written."""
    module = cst.parse_module(source)
    context = CodemodContext()
    converter = _ModuleConverter(context)
    result = module.visit(converter)
    if converter.converted:
        result = RemoveImportsVisitor(context).transform_module(result)
        result = AddImportsVisitor(context).transform_module(result)
    return Migration(
        path=path,
        before=source,
        after=result.code,
        converted=converter.converted,
        notes=converter.notes,
    )


def _python_files(paths: Iterable[Path]) -> Iterator[Path]:
    for path in paths:
        if path.is_dir():
            yield from sorted(
                p for p in path.rglob("*.py") if p.name == "views.py" or p.parent.name == "views"
            )
        else:
            yield path


def migrate_paths(paths: Sequence[str | Path], *, write: bool = False) -> list[Migration]:
    """Convert the views in ``paths`` (files, or folders: their ``views.py`` / ``views/``).

    With ``write=False`` (the default) nothing is written: read each :meth:`Migration.diff`.
    """
    migrations = []
    for path in _python_files(Path(p) for p in paths):
        if not path.is_file():
            raise FileNotFoundError(f"asyncx_migrate: {path} is not a file or folder")
        migration = migrate_source(path.read_text(encoding="utf-8"), path=path)
        if write and migration.changed:
            path.write_text(migration.after, encoding="utf-8")
        migrations.append(migration)
    return migrations
