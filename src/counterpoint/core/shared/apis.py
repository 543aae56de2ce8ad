"""Base paths and versions of every MEF function, per interface (from the envelopes' servers): the one table the
API, the notifications, the workers and the Sonata client read."""

from __future__ import annotations

# function -> {channel: "name/vN"}
BASE: dict[str, dict[str, str]] = {
    "geographicAddress": {"sonata": "geographicAddressManagement/v7", "cantata": "geographicAddressManagement/v1"},
    "geographicSite": {"sonata": "geographicSiteManagement/v7", "cantata": "geographicSiteManagement/v1"},
    "poq": {"sonata": "productOfferingQualification/v7", "cantata": "productOfferingQualification/v1"},
    "quote": {"sonata": "quoteManagement/v8", "cantata": "quoteManagement/v2"},
    "productOrder": {"sonata": "productOrderingManagement/v10", "cantata": "productOrderingManagement/v5"},
    "productInventory": {"sonata": "productInventory/v7", "cantata": "productInventory/v1"},
    "troubleTicket": {"sonata": "troubleTicket/v4", "cantata": "troubleTicket/v4"},
    "appointment": {"sonata": "appointment/v2", "cantata": "appointment/v2"},
    "workOrder": {"sonata": "workOrderManagement/v2", "cantata": "workOrderManagement/v2"},
}

# Notification (listener) base paths, on the Buyer's side.
LISTENER: dict[str, dict[str, str]] = {
    "poq": {"sonata": "productOfferingQualificationNotification/v7",
            "cantata": "productOfferingQualificationNotification/v1"},
    "quote": {"sonata": "quoteNotification/v8", "cantata": "quoteNotification/v2"},
    "productOrder": {"sonata": "productOrderingNotification/v10", "cantata": "productOrderingNotification/v5"},
    "troubleTicket": {"sonata": "troubleTicketNotification/v4", "cantata": "troubleTicketNotification/v4"},
    "appointment": {"sonata": "appointmentNotification/v2", "cantata": "appointmentNotification/v2"},
    "workOrder": {"sonata": "workOrderNotification/v2", "cantata": "workOrderNotification/v2"},
}


# Which notification family and resource path each MEF event type names (Seller and Buyer sides share it),
# and the name of its item-id field.
EVENT_RESOURCES: dict[str, tuple[str, str]] = {
    "poqCreateEvent": ("poq", "productOfferingQualification"),
    "poqStateChangeEvent": ("poq", "productOfferingQualification"),
    "poqItemStateChangeEvent": ("poq", "productOfferingQualification"),
    "quoteStateChangeEvent": ("quote", "quote"),
    "quoteItemStateChangeEvent": ("quote", "quote"),
    "productOrderStateChangeEvent": ("productOrder", "productOrder"),
    "productOrderItemStateChangeEvent": ("productOrder", "productOrder"),
    "productOrderItemExpectedCompletionDateSet": ("productOrder", "productOrder"),
    "productSpecificProductOrderItemMilestoneEvent": ("productOrder", "productOrder"),
    "cancelProductOrderStateChangeEvent": ("productOrder", "cancelProductOrder"),
    "chargeCreateEvent": ("productOrder", "charge"),
    "chargeStateChangeEvent": ("productOrder", "charge"),
    "chargeTimeoutEvent": ("productOrder", "charge"),
    "modifyProductOrderItemRequestedDeliveryDateStateChangeEvent":
        ("productOrder", "modifyProductOrderItemRequestedDeliveryDate"),
    "troubleTicketAttributeValueChangeEvent": ("troubleTicket", "troubleTicket"),
    "troubleTicketStatusChangeEvent": ("troubleTicket", "troubleTicket"),
    "troubleTicketResolvedEvent": ("troubleTicket", "troubleTicket"),
    "troubleTicketInformationRequiredEvent": ("troubleTicket", "troubleTicket"),
    "incidentCreateEvent": ("troubleTicket", "incident"),
    "incidentAttributeValueChangeEvent": ("troubleTicket", "incident"),
    "incidentStatusChangeEvent": ("troubleTicket", "incident"),
    "appointmentAttributeValueChangeEvent": ("appointment", "appointment"),
    "appointmentStatusChangeEvent": ("appointment", "appointment"),
    "workOrderCreateEvent": ("workOrder", "workorder"),
    "workOrderStateChangeEvent": ("workOrder", "workorder"),
    "workOrderAppointmentRequiredEvent": ("workOrder", "workorder"),
}


def base_path(function: str, channel: str) -> str:
    return f"/mefApi/{channel}/{BASE[function][channel]}"


def listener_path(api: str, channel: str) -> str:
    return f"/mefApi/{channel}/{LISTENER[api][channel]}"


def sonata_api(function: str) -> tuple[str, str]:
    """(API name, major version) of a Sonata function, as its base path names them."""
    name, version = BASE[function]["sonata"].split("/")
    return name, version
