"""A supplier by hand: registering, its start page, applying with uploaded evidence, renewing evidence."""

from typing import Annotated, Any

from litestar import Controller, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Template

from minicompetition.tender import clarifications
from procurement.app.web import forms, uploads
from procurement.app.web.context import WebPage
from procurement.app.web.forms import FieldErrors, Form, text
from procurement.app.web.listing import WHOLE, walk
from procurement.app.web.messages import DONE, N_
from procurement.core.errors import Conflict, InvalidInput
from procurement.ring.dps import evidence_types_of, list_dps
from registry import applications, evidence, own, suppliers
from registry.schemas import ApplicationIn, EvidenceIn, SupplierIn

Upload = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)]


class SupplierPages(Controller):
    """The supplier's registry pages: the same services as the API's."""

    include_in_schema = False

    @get("/register", sync_to_thread=True)
    def register_form(self, web: WebPage) -> Template:
        return web.page("register.html", values={}, errors=FieldErrors(), token=None)

    @post("/register", sync_to_thread=True)
    def register(self, web: WebPage, data: Form) -> Template:
        values = {k: text(data, k) for k in ("business_id", "name", "contact_email")}
        errors = FieldErrors()
        for name, message in (
            ("business_id", N_("Give the business id (Y-tunnus), e.g. 0737546-2.")),
            ("name", N_("Give the organisation's name.")),
            ("contact_email", N_("Give an e-mail address for notices.")),
        ):
            if not values[name]:
                errors[name] = message
        if not errors:
            try:
                made = suppliers.register_supplier(web.db, data=forms.typed(SupplierIn, values), now=web.now)
                return web.page(
                    "register.html", values=values, errors=errors, token=made.token, notice=DONE["registered"]
                )
            except (InvalidInput, Conflict) as exc:
                web.db.rollback()
                errors[exc.extra.get("errors", [{"field": "business_id"}])[0]["field"]] = (
                    exc.extra.get("plain") or exc.detail
                )
        return web.page("register.html", status=422, values=values, errors=errors, token=None)

    @get("/supplier", sync_to_thread=True)
    def start(self, web: WebPage) -> Template:
        caller = web.signed_in("supplier")
        # The newest invitations; the next link goes on in the invitations page.
        invitations = walk(
            lambda p: clarifications.inbox(web.db, caller=caller, now=web.now, page=p),
            query={},
            path="/ui/supplier/invitations",
            size=10,
        )
        return web.page(
            "supplier_start.html",
            supplier=suppliers.current_supplier(web.db, caller),
            standing=own.own_standing(web.db, caller=caller, now=web.now),
            applications=applications.list_applications(
                web.db, caller=caller, state=None, now=web.now, page=WHOLE
            ).items,
            invitations=invitations.rows,
            invitations_page=invitations,
        )

    @get("/supplier/applications", sync_to_thread=True)
    def applications_page(self, web: WebPage) -> Template:
        caller = web.signed_in("supplier")
        return self._applications(web, caller, errors=FieldErrors(), values={})

    @post("/supplier/applications", sync_to_thread=True)
    def apply(self, web: WebPage, data: Upload) -> Any:
        caller = web.signed_in("supplier")
        errors = FieldErrors()
        dps_id = text(data, "dps_id")
        dps = next((d for d in list_dps(web.db, now=web.now, page=WHOLE).items if str(d.id) == dps_id), None)
        if dps is None:
            raise InvalidInput(N_("No published DPS has that id."), field="dps_id")
        categories = [c for c in dps.categories if text(data, f"category-{c}") == "yes"]
        if not categories:
            errors["categories"] = N_("Choose at least one category.")
        items = self._evidence(web, data, [t.code for t in evidence_types_of(web.db, dps.id)], errors)
        if not errors:
            try:
                applications.submit_application(
                    web.db,
                    caller=caller,
                    dps_id=dps.id,
                    data=ApplicationIn(categories=categories, evidence=items),
                    now=web.now,
                    settings=web.settings,
                )
                return web.back("/ui/supplier/applications", done="applied")
            except (InvalidInput, Conflict) as exc:
                web.db.rollback()
                forms.add_refusal(errors, exc, field="categories")
        values = {k: text(data, k) for k in data if isinstance(data.get(k), str)}
        return self._applications(web, caller, errors=errors, values=values, status=422)

    @post("/supplier/evidence", sync_to_thread=True)
    def renew(self, web: WebPage, data: Upload) -> Any:
        caller = web.signed_in("supplier")
        errors = FieldErrors()
        dps_id = text(data, "dps_id")
        dps = next((d for d in list_dps(web.db, now=web.now, page=WHOLE).items if str(d.id) == dps_id), None)
        if dps is None:
            raise InvalidInput(N_("No published DPS has that id."), field="dps_id")
        codes = [t.code for t in evidence_types_of(web.db, dps.id) if data.get(f"file-{t.code}") is not None]
        items = self._evidence(web, data, codes, errors, optional=True)
        if not items and not errors:
            errors["evidence"] = N_("Choose at least one document to file.")
        if not errors:
            try:
                evidence.renew_evidence(web.db, caller=caller, dps_id=dps.id, items=items, now=web.now)
                return web.back("/ui/supplier", done="evidence")
            except InvalidInput as exc:
                web.db.rollback()
                forms.add_refusal(errors, exc, field="evidence")
        return self._applications(web, caller, errors=errors, values={}, status=422)

    @staticmethod
    def _evidence(
        web: WebPage, data: dict[str, Any], codes: list[str], errors: FieldErrors, *, optional: bool = False
    ) -> list[EvidenceIn]:
        """Each evidence type's uploaded document, hashed and stored, with its dates."""
        items = []
        for code in codes:
            upload = data.get(f"file-{code}")
            if optional and (upload is None or not getattr(upload, "filename", "")):
                continue
            field = f"file-{code}"
            try:
                stored = uploads.store(
                    uploads.read_upload(upload, field=field),
                    name=getattr(upload, "filename", ""),
                    data_dir=web.settings.data_dir,
                    field=field,
                )
            except InvalidInput as exc:
                errors[field] = exc.detail
                continue
            issued = forms.day(data, f"issued-{code}", errors)
            valid = forms.day(data, f"valid-{code}", errors)
            if issued and valid:
                items.append(EvidenceIn(type=code, issued_on=issued, valid_until=valid, sha256=stored.sha256))
        return items

    @staticmethod
    def _applications(
        web: WebPage, caller: Any, *, errors: FieldErrors, values: dict[str, str], status: int = 200
    ) -> Template:
        open_dps = [d for d in list_dps(web.db, now=web.now, page=WHOLE).items if d.state == "published"]
        return web.page(
            "supplier_applications.html",
            status=status,
            applications=applications.list_applications(
                web.db, caller=caller, state=None, now=web.now, page=WHOLE
            ).items,
            dps_list=open_dps,
            types={d.id: evidence_types_of(web.db, d.id) for d in open_dps},
            errors=errors,
            values=values,
            max_mb=uploads.MAX_BYTES // (1024 * 1024),
        )
