"""initial schema

Revision ID: 0001
Revises: 
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

JSONDoc = sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('appointment',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('buyer_id', sa.String(length=128), nullable=False),
    sa.Column('seller_id', sa.String(length=128), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('state', sa.String(length=48), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('correlation_id', sa.String(length=64), nullable=True),
    sa.Column('doc', JSONDoc, nullable=False),
    sa.Column('work_order_id', sa.String(length=64), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('technician', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.String(length=32), nullable=False),
    sa.Column('arrived', sa.Boolean(), nullable=False),
    sa.Column('site_id', sa.String(length=255), nullable=True),
    sa.Column('address_id', sa.String(length=255), nullable=True),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appointment'))
    )
    with op.batch_alter_table('appointment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_appointment_address_id'), ['address_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_appointment_buyer_id'), ['buyer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_appointment_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_appointment_due_at'), ['due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_appointment_site_id'), ['site_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_appointment_starts_at'), ['starts_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_appointment_state'), ['state'], unique=False)
        batch_op.create_index(batch_op.f('ix_appointment_work_order_id'), ['work_order_id'], unique=False)

    op.create_table('cancel_product_order',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('buyer_id', sa.String(length=128), nullable=False),
    sa.Column('seller_id', sa.String(length=128), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('state', sa.String(length=48), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('correlation_id', sa.String(length=64), nullable=True),
    sa.Column('doc', JSONDoc, nullable=False),
    sa.Column('order_id', sa.String(length=64), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cancel_product_order'))
    )
    with op.batch_alter_table('cancel_product_order', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cancel_product_order_buyer_id'), ['buyer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cancel_product_order_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_cancel_product_order_due_at'), ['due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_cancel_product_order_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cancel_product_order_state'), ['state'], unique=False)

    op.create_table('composite_order',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('buyer_id', sa.String(length=128), nullable=False),
    sa.Column('seller_id', sa.String(length=128), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('state', sa.String(length=48), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('correlation_id', sa.String(length=64), nullable=True),
    sa.Column('doc', JSONDoc, nullable=False),
    sa.Column('order_id', sa.String(length=64), nullable=False),
    sa.Column('item_id', sa.String(length=64), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('doc_action', sa.String(length=16), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_composite_order')),
    sa.UniqueConstraint('order_id', 'item_id', 'doc_action', name='uq_composite_order_item_action')
    )
    with op.batch_alter_table('composite_order', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_composite_order_buyer_id'), ['buyer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_composite_order_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_composite_order_due_at'), ['due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_composite_order_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_composite_order_state'), ['state'], unique=False)

    op.create_table('federated_ticket',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('buyer_id', sa.String(length=128), nullable=False),
    sa.Column('seller_id', sa.String(length=128), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('state', sa.String(length=48), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('correlation_id', sa.String(length=64), nullable=True),
    sa.Column('doc', JSONDoc, nullable=False),
    sa.Column('ticket_id', sa.String(length=64), nullable=False),
    sa.Column('product_id', sa.String(length=64), nullable=False),
    sa.Column('composite_id', sa.String(length=64), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_federated_ticket')),
    sa.UniqueConstraint('ticket_id', name=op.f('uq_federated_ticket_ticket_id'))
    )
    with op.batch_alter_table('federated_ticket', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_federated_ticket_buyer_id'), ['buyer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_federated_ticket_composite_id'), ['composite_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_federated_ticket_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_federated_ticket_due_at'), ['due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_federated_ticket_product_id'), ['product_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_federated_ticket_state'), ['state'], unique=False)

    op.create_table('hub_listener',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('api', sa.String(length=32), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('buyer_id', sa.String(length=128), nullable=False),
    sa.Column('callback', sa.Text(), nullable=False),
    sa.Column('query', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hub_listener'))
    )
    with op.batch_alter_table('hub_listener', schema=None) as batch_op:
        batch_op.create_index('ix_hub_listener_match', ['buyer_id', 'api', 'channel'], unique=False)

    op.create_table('incident',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('buyer_id', sa.String(length=128), nullable=False),
    sa.Column('seller_id', sa.String(length=128), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('state', sa.String(length=48), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('correlation_id', sa.String(length=64), nullable=True),
    sa.Column('doc', JSONDoc, nullable=False),
    sa.Column('notice_id', sa.String(length=128), nullable=False),
    sa.Column('incident_type', sa.String(length=16), nullable=False),
    sa.Column('impact', sa.String(length=16), nullable=False),
    sa.Column('priority', sa.String(length=16), nullable=False),
    sa.Column('severity', sa.String(length=16), nullable=False),
    sa.Column('situation_start', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expected_closed', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_date', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closes_at_end', sa.Boolean(), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('entity_ids', sa.Text(), nullable=False),
    sa.Column('entity_types', sa.Text(), nullable=False),
    sa.Column('scope_ids', sa.Text(), nullable=False),
    sa.Column('source_ref', sa.String(length=255), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incident')),
    sa.UniqueConstraint('notice_id', 'buyer_id', 'channel', name=op.f('uq_incident_notice_id_buyer_id_channel'))
    )
    with op.batch_alter_table('incident', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_incident_buyer_id'), ['buyer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_incident_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_incident_due_at'), ['due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_incident_notice_id'), ['notice_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_incident_source_ref'), ['source_ref'], unique=False)
        batch_op.create_index(batch_op.f('ix_incident_state'), ['state'], unique=False)

    op.create_table('modify_delivery_date',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('buyer_id', sa.String(length=128), nullable=False),
    sa.Column('seller_id', sa.String(length=128), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('state', sa.String(length=48), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('correlation_id', sa.String(length=64), nullable=True),
    sa.Column('doc', JSONDoc, nullable=False),
    sa.Column('order_id', sa.String(length=64), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_modify_delivery_date'))
    )
    with op.batch_alter_table('modify_delivery_date', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_modify_delivery_date_buyer_id'), ['buyer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_modify_delivery_date_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_modify_delivery_date_due_at'), ['due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_modify_delivery_date_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_modify_delivery_date_state'), ['state'], unique=False)

    op.create_table('network_connectivity_service',
    sa.Column('uuid', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('end_points', JSONDoc, nullable=False),
    sa.Column('capacity_mbps', sa.Integer(), nullable=False),
    sa.Column('lifecycle_state', sa.String(length=24), nullable=False),
    sa.Column('operational_state', sa.String(length=16), nullable=False),
    sa.Column('administrative_state', sa.String(length=16), nullable=False),
    sa.Column('fault', sa.String(length=24), nullable=True),
    sa.Column('flap_period_s', sa.Float(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ready_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('removal_requested_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('removed_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('uuid', name=op.f('pk_network_connectivity_service'))
    )
    with op.batch_alter_table('network_connectivity_service', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_network_connectivity_service_name'), ['name'], unique=False)

    op.create_table('network_service_interface_point',
    sa.Column('uuid', sa.String(length=128), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('capacity_mbps', sa.Integer(), nullable=False),
    sa.Column('used_mbps', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('uuid', name=op.f('pk_network_service_interface_point'))
    )
    op.create_table('notification_delivery',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('event_id', sa.String(length=64), nullable=False),
    sa.Column('listener_id', sa.String(length=64), nullable=False),
    sa.Column('url', sa.Text(), nullable=False),
    sa.Column('body', JSONDoc, nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('correlation_id', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification_delivery'))
    )
    with op.batch_alter_table('notification_delivery', schema=None) as batch_op:
        batch_op.create_index('ix_delivery_due', ['state', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_notification_delivery_event_id'), ['event_id'], unique=False)

    op.create_table('outbound_command',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('buyer_id', sa.String(length=128), nullable=False),
    sa.Column('seller_id', sa.String(length=128), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('state', sa.String(length=48), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('correlation_id', sa.String(length=64), nullable=True),
    sa.Column('doc', JSONDoc, nullable=False),
    sa.Column('provider_id', sa.String(length=128), nullable=False),
    sa.Column('composite_id', sa.String(length=64), nullable=False),
    sa.Column('segment_id', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('idempotency_key', sa.String(length=64), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbound_command')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_outbound_command_idempotency_key'))
    )
    with op.batch_alter_table('outbound_command', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbound_command_buyer_id'), ['buyer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbound_command_composite_id'), ['composite_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbound_command_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbound_command_due_at'), ['due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbound_command_state'), ['state'], unique=False)

    op.create_table('outbox',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('event_id', sa.String(length=64), nullable=False),
    sa.Column('api', sa.String(length=32), nullable=False),
    sa.Column('event_type', sa.String(length=96), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('buyer_id', sa.String(length=128), nullable=False),
    sa.Column('seller_id', sa.String(length=128), nullable=False),
    sa.Column('resource_id', sa.String(length=64), nullable=False),
    sa.Column('item_id', sa.String(length=64), nullable=True),
    sa.Column('milestone', sa.String(length=128), nullable=True),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('correlation_id', sa.String(length=64), nullable=True),
    sa.Column('dispatched_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_outbox')),
    sa.UniqueConstraint('event_id', name=op.f('uq_outbox_event_id'))
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_pending', ['dispatched_at', 'seq'], unique=False)

    op.create_table('poq',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('buyer_id', sa.String(length=128), nullable=False),
    sa.Column('seller_id', sa.String(length=128), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('state', sa.String(length=48), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('correlation_id', sa.String(length=64), nullable=True),
    sa.Column('doc', JSONDoc, nullable=False),
    sa.Column('external_id', sa.String(length=128), nullable=True),
    sa.Column('project_id', sa.String(length=128), nullable=True),
    sa.Column('instant', sa.Boolean(), nullable=False),
    sa.Column('requested_completion_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('answer_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('warnings', JSONDoc, nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_poq'))
    )
    with op.batch_alter_table('poq', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_poq_buyer_id'), ['buyer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_poq_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_poq_due_at'), ['due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_poq_external_id'), ['external_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_poq_project_id'), ['project_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_poq_requested_completion_at'), ['requested_completion_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_poq_state'), ['state'], unique=False)

    op.create_table('product',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('buyer_id', sa.String(length=128), nullable=False),
    sa.Column('seller_id', sa.String(length=128), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('state', sa.String(length=48), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('correlation_id', sa.String(length=64), nullable=True),
    sa.Column('doc', JSONDoc, nullable=False),
    sa.Column('external_id', sa.String(length=128), nullable=True),
    sa.Column('offering_id', sa.String(length=128), nullable=True),
    sa.Column('spec_id', sa.String(length=160), nullable=True),
    sa.Column('billing_account_id', sa.String(length=128), nullable=True),
    sa.Column('start_date', sa.DateTime(timezone=True), nullable=True),
    sa.Column('order_ids', sa.Text(), nullable=False),
    sa.Column('site_ids', sa.Text(), nullable=False),
    sa.Column('related_ids', sa.Text(), nullable=False),
    sa.Column('places', JSONDoc, nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_product'))
    )
    with op.batch_alter_table('product', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_product_buyer_id'), ['buyer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_product_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_product_external_id'), ['external_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_product_offering_id'), ['offering_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_product_state'), ['state'], unique=False)

    op.create_table('product_order',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('buyer_id', sa.String(length=128), nullable=False),
    sa.Column('seller_id', sa.String(length=128), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('state', sa.String(length=48), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('correlation_id', sa.String(length=64), nullable=True),
    sa.Column('doc', JSONDoc, nullable=False),
    sa.Column('external_id', sa.String(length=128), nullable=True),
    sa.Column('project_id', sa.String(length=128), nullable=True),
    sa.Column('completion_date', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancellation_date', sa.DateTime(timezone=True), nullable=True),
    sa.Column('item_requested_min', sa.DateTime(timezone=True), nullable=True),
    sa.Column('item_requested_max', sa.DateTime(timezone=True), nullable=True),
    sa.Column('item_expected_min', sa.DateTime(timezone=True), nullable=True),
    sa.Column('item_expected_max', sa.DateTime(timezone=True), nullable=True),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resume_state', sa.String(length=48), nullable=True),
    sa.Column('held_since', sa.DateTime(timezone=True), nullable=True),
    sa.Column('plan', JSONDoc, nullable=False),
    sa.Column('idempotency_key', sa.String(length=128), nullable=True),
    sa.Column('request_hash', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_product_order')),
    sa.UniqueConstraint('buyer_id', 'channel', 'idempotency_key', name='uq_product_order_buyer_channel_idempotency_key')
    )
    with op.batch_alter_table('product_order', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_product_order_buyer_id'), ['buyer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_product_order_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_product_order_due_at'), ['due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_product_order_external_id'), ['external_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_product_order_state'), ['state'], unique=False)

    op.create_table('product_order_charge',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('buyer_id', sa.String(length=128), nullable=False),
    sa.Column('seller_id', sa.String(length=128), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('state', sa.String(length=48), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('correlation_id', sa.String(length=64), nullable=True),
    sa.Column('doc', JSONDoc, nullable=False),
    sa.Column('order_id', sa.String(length=64), nullable=False),
    sa.Column('item_id', sa.String(length=64), nullable=True),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_product_order_charge'))
    )
    with op.batch_alter_table('product_order_charge', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_product_order_charge_buyer_id'), ['buyer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_product_order_charge_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_product_order_charge_due_at'), ['due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_product_order_charge_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_product_order_charge_state'), ['state'], unique=False)

    op.create_table('quote',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('buyer_id', sa.String(length=128), nullable=False),
    sa.Column('seller_id', sa.String(length=128), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('state', sa.String(length=48), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('correlation_id', sa.String(length=64), nullable=True),
    sa.Column('doc', JSONDoc, nullable=False),
    sa.Column('external_id', sa.String(length=128), nullable=True),
    sa.Column('project_id', sa.String(length=128), nullable=True),
    sa.Column('quote_level', sa.String(length=40), nullable=True),
    sa.Column('instant', sa.Boolean(), nullable=False),
    sa.Column('requested_completion_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('expected_completion_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('effective_completion_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('answer_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('firm_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('valid_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('warnings', JSONDoc, nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quote'))
    )
    with op.batch_alter_table('quote', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quote_buyer_id'), ['buyer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_quote_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_quote_due_at'), ['due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_quote_external_id'), ['external_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_quote_project_id'), ['project_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_quote_quote_level'), ['quote_level'], unique=False)
        batch_op.create_index(batch_op.f('ix_quote_state'), ['state'], unique=False)

    op.create_table('reconcile_finding',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=48), nullable=False),
    sa.Column('check_name', sa.String(length=16), nullable=False),
    sa.Column('severity', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('first_seen', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen', sa.DateTime(timezone=True), nullable=False),
    sa.Column('raised_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cleared_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_run', sa.String(length=64), nullable=False),
    sa.Column('occurrences', sa.Integer(), nullable=False),
    sa.Column('buyer_id', sa.String(length=128), nullable=True),
    sa.Column('composite_id', sa.String(length=64), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('doc', JSONDoc, nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reconcile_finding')),
    sa.UniqueConstraint('fingerprint', name=op.f('uq_reconcile_finding_fingerprint'))
    )
    with op.batch_alter_table('reconcile_finding', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reconcile_finding_composite_id'), ['composite_id'], unique=False)
        batch_op.create_index('ix_reconcile_finding_status_kind', ['status', 'kind'], unique=False)

    op.create_table('reconcile_run',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('checks', sa.String(length=64), nullable=False),
    sa.Column('repair', sa.Boolean(), nullable=False),
    sa.Column('counts', JSONDoc, nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reconcile_run'))
    )
    with op.batch_alter_table('reconcile_run', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reconcile_run_started_at'), ['started_at'], unique=False)

    op.create_table('service_order',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('buyer_id', sa.String(length=128), nullable=False),
    sa.Column('seller_id', sa.String(length=128), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('state', sa.String(length=48), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('correlation_id', sa.String(length=64), nullable=True),
    sa.Column('doc', JSONDoc, nullable=False),
    sa.Column('external_id', sa.String(length=128), nullable=True),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('plan', JSONDoc, nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_order'))
    )
    with op.batch_alter_table('service_order', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_order_buyer_id'), ['buyer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_service_order_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_service_order_due_at'), ['due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_service_order_state'), ['state'], unique=False)
        batch_op.create_index('ux_service_order_buyer_external', ['buyer_id', 'external_id'], unique=True)

    op.create_table('sla_evidence',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('outage_id', sa.String(length=64), nullable=False),
    sa.Column('fact', sa.String(length=16), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('source', sa.String(length=128), nullable=False),
    sa.Column('reference', sa.String(length=256), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('stamped_by', sa.String(length=128), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('responsible', sa.String(length=160), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sla_evidence'))
    )
    with op.batch_alter_table('sla_evidence', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sla_evidence_outage_id'), ['outage_id'], unique=False)
        batch_op.create_index('ux_sla_evidence_natural', ['outage_id', 'fact', 'source', 'reference'], unique=True)

    op.create_table('sla_maintenance',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('provider', sa.String(length=128), nullable=False),
    sa.Column('notice_ref', sa.String(length=256), nullable=False),
    sa.Column('start_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('end_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('services', JSONDoc, nullable=False),
    sa.Column('segments', JSONDoc, nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sla_maintenance'))
    )
    with op.batch_alter_table('sla_maintenance', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sla_maintenance_start_at'), ['start_at'], unique=False)
        batch_op.create_index('ux_sla_maintenance_notice', ['provider', 'notice_ref'], unique=True)

    op.create_table('sla_outage',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('service_id', sa.String(length=128), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('segment_id', sa.String(length=128), nullable=True),
    sa.Column('impact', sa.String(length=16), nullable=False),
    sa.Column('responsible', sa.String(length=160), nullable=False),
    sa.Column('start_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('end_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sla_outage'))
    )
    with op.batch_alter_table('sla_outage', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sla_outage_start_at'), ['start_at'], unique=False)
        batch_op.create_index('ux_sla_outage_service_key', ['service_id', 'key'], unique=True)

    op.create_table('sla_service',
    sa.Column('service_id', sa.String(length=128), nullable=False),
    sa.Column('customer_id', sa.String(length=128), nullable=False),
    sa.Column('offering_id', sa.String(length=128), nullable=True),
    sa.Column('mrc', sa.String(length=40), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('segments', JSONDoc, nullable=False),
    sa.PrimaryKeyConstraint('service_id', name=op.f('pk_sla_service'))
    )
    op.create_table('supplier_evidence',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('composite_id', sa.String(length=64), nullable=False),
    sa.Column('segment_id', sa.String(length=64), nullable=False),
    sa.Column('provider_id', sa.String(length=128), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('raw_state', sa.String(length=64), nullable=False),
    sa.Column('state', sa.String(length=32), nullable=False),
    sa.Column('observed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('as_of', sa.DateTime(timezone=True), nullable=True),
    sa.Column('evidence_id', sa.String(length=255), nullable=True),
    sa.Column('applied', sa.Boolean(), nullable=False),
    sa.Column('why', sa.Text(), nullable=False),
    sa.Column('correlation_id', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supplier_evidence')),
    sa.UniqueConstraint('segment_id', 'evidence_id', name=op.f('uq_supplier_evidence_segment_id_evidence_id'))
    )
    with op.batch_alter_table('supplier_evidence', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_supplier_evidence_composite_id'), ['composite_id'], unique=False)

    op.create_table('supplier_ref',
    sa.Column('provider_id', sa.String(length=128), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('external_id', sa.String(length=255), nullable=False),
    sa.Column('composite_id', sa.String(length=64), nullable=False),
    sa.Column('segment_id', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('provider_id', 'kind', 'external_id', name=op.f('pk_supplier_ref'))
    )
    with op.batch_alter_table('supplier_ref', schema=None) as batch_op:
        batch_op.create_index('ix_supplier_ref_composite_segment', ['composite_id', 'segment_id'], unique=False)

    op.create_table('supplier_subscription',
    sa.Column('provider_id', sa.String(length=128), nullable=False),
    sa.Column('callback_url', sa.Text(), nullable=False),
    sa.Column('listener_ids', JSONDoc, nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('provider_id', 'callback_url', name=op.f('pk_supplier_subscription'))
    )
    op.create_table('supply_enquiry',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('buyer_id', sa.String(length=128), nullable=False),
    sa.Column('seller_id', sa.String(length=128), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('state', sa.String(length=48), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('correlation_id', sa.String(length=64), nullable=True),
    sa.Column('doc', JSONDoc, nullable=False),
    sa.Column('purpose', sa.String(length=16), nullable=False),
    sa.Column('resource_id', sa.String(length=64), nullable=False),
    sa.Column('item_id', sa.String(length=64), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supply_enquiry')),
    sa.UniqueConstraint('purpose', 'resource_id', 'item_id', name='uq_supply_enquiry_item')
    )
    with op.batch_alter_table('supply_enquiry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_supply_enquiry_buyer_id'), ['buyer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_supply_enquiry_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_supply_enquiry_due_at'), ['due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_supply_enquiry_resource_id'), ['resource_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_supply_enquiry_state'), ['state'], unique=False)

    op.create_table('technician_slot',
    sa.Column('slot_start', sa.DateTime(timezone=True), nullable=False),
    sa.Column('technician', sa.Integer(), nullable=False),
    sa.Column('appointment_id', sa.String(length=64), nullable=False),
    sa.UniqueConstraint('slot_start', 'technician', name='uq_technician_slot_start_technician')
    )
    with op.batch_alter_table('technician_slot', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_technician_slot_appointment_id'), ['appointment_id'], unique=False)

    op.create_table('trouble_ticket',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('buyer_id', sa.String(length=128), nullable=False),
    sa.Column('seller_id', sa.String(length=128), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('state', sa.String(length=48), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('correlation_id', sa.String(length=64), nullable=True),
    sa.Column('doc', JSONDoc, nullable=False),
    sa.Column('external_id', sa.String(length=128), nullable=True),
    sa.Column('priority', sa.String(length=16), nullable=True),
    sa.Column('seller_priority', sa.String(length=16), nullable=True),
    sa.Column('severity', sa.String(length=16), nullable=True),
    sa.Column('seller_severity', sa.String(length=16), nullable=True),
    sa.Column('ticket_type', sa.String(length=32), nullable=True),
    sa.Column('observed_impact', sa.String(length=16), nullable=True),
    sa.Column('related_entity_id', sa.String(length=128), nullable=True),
    sa.Column('related_entity_type', sa.String(length=64), nullable=True),
    sa.Column('product_id', sa.String(length=128), nullable=True),
    sa.Column('offering_id', sa.String(length=128), nullable=True),
    sa.Column('expected_resolution_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolution_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolution_code', sa.String(length=32), nullable=True),
    sa.Column('waiting', sa.String(length=16), nullable=True),
    sa.Column('orchestrated', sa.Boolean(), nullable=False),
    sa.Column('scenario', JSONDoc, nullable=False),
    sa.Column('plan', JSONDoc, nullable=False),
    sa.Column('wake_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trouble_ticket'))
    )
    with op.batch_alter_table('trouble_ticket', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_trouble_ticket_buyer_id'), ['buyer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_trouble_ticket_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_trouble_ticket_due_at'), ['due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_trouble_ticket_external_id'), ['external_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_trouble_ticket_product_id'), ['product_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_trouble_ticket_related_entity_id'), ['related_entity_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_trouble_ticket_state'), ['state'], unique=False)

    op.create_table('work_order',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('buyer_id', sa.String(length=128), nullable=False),
    sa.Column('seller_id', sa.String(length=128), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('state', sa.String(length=48), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('correlation_id', sa.String(length=64), nullable=True),
    sa.Column('doc', JSONDoc, nullable=False),
    sa.Column('appointment_required', sa.Boolean(), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('follow_up_of', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_work_order'))
    )
    with op.batch_alter_table('work_order', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_work_order_appointment_required'), ['appointment_required'], unique=False)
        batch_op.create_index(batch_op.f('ix_work_order_buyer_id'), ['buyer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_work_order_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_work_order_due_at'), ['due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_work_order_state'), ['state'], unique=False)

    op.create_table('work_order_key',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('work_order_id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('ref_type', sa.String(length=64), nullable=False),
    sa.Column('ref_id', sa.String(length=255), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_work_order_key'))
    )
    with op.batch_alter_table('work_order_key', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_work_order_key_ref_id'), ['ref_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_work_order_key_work_order_id'), ['work_order_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('work_order_key', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_work_order_key_work_order_id'))
        batch_op.drop_index(batch_op.f('ix_work_order_key_ref_id'))

    op.drop_table('work_order_key')
    with op.batch_alter_table('work_order', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_work_order_state'))
        batch_op.drop_index(batch_op.f('ix_work_order_due_at'))
        batch_op.drop_index(batch_op.f('ix_work_order_created_at'))
        batch_op.drop_index(batch_op.f('ix_work_order_buyer_id'))
        batch_op.drop_index(batch_op.f('ix_work_order_appointment_required'))

    op.drop_table('work_order')
    with op.batch_alter_table('trouble_ticket', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_trouble_ticket_state'))
        batch_op.drop_index(batch_op.f('ix_trouble_ticket_related_entity_id'))
        batch_op.drop_index(batch_op.f('ix_trouble_ticket_product_id'))
        batch_op.drop_index(batch_op.f('ix_trouble_ticket_external_id'))
        batch_op.drop_index(batch_op.f('ix_trouble_ticket_due_at'))
        batch_op.drop_index(batch_op.f('ix_trouble_ticket_created_at'))
        batch_op.drop_index(batch_op.f('ix_trouble_ticket_buyer_id'))

    op.drop_table('trouble_ticket')
    with op.batch_alter_table('technician_slot', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_technician_slot_appointment_id'))

    op.drop_table('technician_slot')
    with op.batch_alter_table('supply_enquiry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_supply_enquiry_state'))
        batch_op.drop_index(batch_op.f('ix_supply_enquiry_resource_id'))
        batch_op.drop_index(batch_op.f('ix_supply_enquiry_due_at'))
        batch_op.drop_index(batch_op.f('ix_supply_enquiry_created_at'))
        batch_op.drop_index(batch_op.f('ix_supply_enquiry_buyer_id'))

    op.drop_table('supply_enquiry')
    op.drop_table('supplier_subscription')
    with op.batch_alter_table('supplier_ref', schema=None) as batch_op:
        batch_op.drop_index('ix_supplier_ref_composite_segment')

    op.drop_table('supplier_ref')
    with op.batch_alter_table('supplier_evidence', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_supplier_evidence_composite_id'))

    op.drop_table('supplier_evidence')
    op.drop_table('sla_service')
    with op.batch_alter_table('sla_outage', schema=None) as batch_op:
        batch_op.drop_index('ux_sla_outage_service_key')
        batch_op.drop_index(batch_op.f('ix_sla_outage_start_at'))

    op.drop_table('sla_outage')
    with op.batch_alter_table('sla_maintenance', schema=None) as batch_op:
        batch_op.drop_index('ux_sla_maintenance_notice')
        batch_op.drop_index(batch_op.f('ix_sla_maintenance_start_at'))

    op.drop_table('sla_maintenance')
    with op.batch_alter_table('sla_evidence', schema=None) as batch_op:
        batch_op.drop_index('ux_sla_evidence_natural')
        batch_op.drop_index(batch_op.f('ix_sla_evidence_outage_id'))

    op.drop_table('sla_evidence')
    with op.batch_alter_table('service_order', schema=None) as batch_op:
        batch_op.drop_index('ux_service_order_buyer_external')
        batch_op.drop_index(batch_op.f('ix_service_order_state'))
        batch_op.drop_index(batch_op.f('ix_service_order_due_at'))
        batch_op.drop_index(batch_op.f('ix_service_order_created_at'))
        batch_op.drop_index(batch_op.f('ix_service_order_buyer_id'))

    op.drop_table('service_order')
    with op.batch_alter_table('reconcile_run', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reconcile_run_started_at'))

    op.drop_table('reconcile_run')
    with op.batch_alter_table('reconcile_finding', schema=None) as batch_op:
        batch_op.drop_index('ix_reconcile_finding_status_kind')
        batch_op.drop_index(batch_op.f('ix_reconcile_finding_composite_id'))

    op.drop_table('reconcile_finding')
    with op.batch_alter_table('quote', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_quote_state'))
        batch_op.drop_index(batch_op.f('ix_quote_quote_level'))
        batch_op.drop_index(batch_op.f('ix_quote_project_id'))
        batch_op.drop_index(batch_op.f('ix_quote_external_id'))
        batch_op.drop_index(batch_op.f('ix_quote_due_at'))
        batch_op.drop_index(batch_op.f('ix_quote_created_at'))
        batch_op.drop_index(batch_op.f('ix_quote_buyer_id'))

    op.drop_table('quote')
    with op.batch_alter_table('product_order_charge', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_product_order_charge_state'))
        batch_op.drop_index(batch_op.f('ix_product_order_charge_order_id'))
        batch_op.drop_index(batch_op.f('ix_product_order_charge_due_at'))
        batch_op.drop_index(batch_op.f('ix_product_order_charge_created_at'))
        batch_op.drop_index(batch_op.f('ix_product_order_charge_buyer_id'))

    op.drop_table('product_order_charge')
    with op.batch_alter_table('product_order', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_product_order_state'))
        batch_op.drop_index(batch_op.f('ix_product_order_external_id'))
        batch_op.drop_index(batch_op.f('ix_product_order_due_at'))
        batch_op.drop_index(batch_op.f('ix_product_order_created_at'))
        batch_op.drop_index(batch_op.f('ix_product_order_buyer_id'))

    op.drop_table('product_order')
    with op.batch_alter_table('product', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_product_state'))
        batch_op.drop_index(batch_op.f('ix_product_offering_id'))
        batch_op.drop_index(batch_op.f('ix_product_external_id'))
        batch_op.drop_index(batch_op.f('ix_product_created_at'))
        batch_op.drop_index(batch_op.f('ix_product_buyer_id'))

    op.drop_table('product')
    with op.batch_alter_table('poq', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_poq_state'))
        batch_op.drop_index(batch_op.f('ix_poq_requested_completion_at'))
        batch_op.drop_index(batch_op.f('ix_poq_project_id'))
        batch_op.drop_index(batch_op.f('ix_poq_external_id'))
        batch_op.drop_index(batch_op.f('ix_poq_due_at'))
        batch_op.drop_index(batch_op.f('ix_poq_created_at'))
        batch_op.drop_index(batch_op.f('ix_poq_buyer_id'))

    op.drop_table('poq')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_pending')

    op.drop_table('outbox')
    with op.batch_alter_table('outbound_command', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbound_command_state'))
        batch_op.drop_index(batch_op.f('ix_outbound_command_due_at'))
        batch_op.drop_index(batch_op.f('ix_outbound_command_created_at'))
        batch_op.drop_index(batch_op.f('ix_outbound_command_composite_id'))
        batch_op.drop_index(batch_op.f('ix_outbound_command_buyer_id'))

    op.drop_table('outbound_command')
    with op.batch_alter_table('notification_delivery', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notification_delivery_event_id'))
        batch_op.drop_index('ix_delivery_due')

    op.drop_table('notification_delivery')
    op.drop_table('network_service_interface_point')
    with op.batch_alter_table('network_connectivity_service', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_network_connectivity_service_name'))

    op.drop_table('network_connectivity_service')
    with op.batch_alter_table('modify_delivery_date', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_modify_delivery_date_state'))
        batch_op.drop_index(batch_op.f('ix_modify_delivery_date_order_id'))
        batch_op.drop_index(batch_op.f('ix_modify_delivery_date_due_at'))
        batch_op.drop_index(batch_op.f('ix_modify_delivery_date_created_at'))
        batch_op.drop_index(batch_op.f('ix_modify_delivery_date_buyer_id'))

    op.drop_table('modify_delivery_date')
    with op.batch_alter_table('incident', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_incident_state'))
        batch_op.drop_index(batch_op.f('ix_incident_source_ref'))
        batch_op.drop_index(batch_op.f('ix_incident_notice_id'))
        batch_op.drop_index(batch_op.f('ix_incident_due_at'))
        batch_op.drop_index(batch_op.f('ix_incident_created_at'))
        batch_op.drop_index(batch_op.f('ix_incident_buyer_id'))

    op.drop_table('incident')
    with op.batch_alter_table('hub_listener', schema=None) as batch_op:
        batch_op.drop_index('ix_hub_listener_match')

    op.drop_table('hub_listener')
    with op.batch_alter_table('federated_ticket', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_federated_ticket_state'))
        batch_op.drop_index(batch_op.f('ix_federated_ticket_product_id'))
        batch_op.drop_index(batch_op.f('ix_federated_ticket_due_at'))
        batch_op.drop_index(batch_op.f('ix_federated_ticket_created_at'))
        batch_op.drop_index(batch_op.f('ix_federated_ticket_composite_id'))
        batch_op.drop_index(batch_op.f('ix_federated_ticket_buyer_id'))

    op.drop_table('federated_ticket')
    with op.batch_alter_table('composite_order', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_composite_order_state'))
        batch_op.drop_index(batch_op.f('ix_composite_order_order_id'))
        batch_op.drop_index(batch_op.f('ix_composite_order_due_at'))
        batch_op.drop_index(batch_op.f('ix_composite_order_created_at'))
        batch_op.drop_index(batch_op.f('ix_composite_order_buyer_id'))

    op.drop_table('composite_order')
    with op.batch_alter_table('cancel_product_order', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cancel_product_order_state'))
        batch_op.drop_index(batch_op.f('ix_cancel_product_order_order_id'))
        batch_op.drop_index(batch_op.f('ix_cancel_product_order_due_at'))
        batch_op.drop_index(batch_op.f('ix_cancel_product_order_created_at'))
        batch_op.drop_index(batch_op.f('ix_cancel_product_order_buyer_id'))

    op.drop_table('cancel_product_order')
    with op.batch_alter_table('appointment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_appointment_work_order_id'))
        batch_op.drop_index(batch_op.f('ix_appointment_state'))
        batch_op.drop_index(batch_op.f('ix_appointment_starts_at'))
        batch_op.drop_index(batch_op.f('ix_appointment_site_id'))
        batch_op.drop_index(batch_op.f('ix_appointment_due_at'))
        batch_op.drop_index(batch_op.f('ix_appointment_created_at'))
        batch_op.drop_index(batch_op.f('ix_appointment_buyer_id'))
        batch_op.drop_index(batch_op.f('ix_appointment_address_id'))

    op.drop_table('appointment')
