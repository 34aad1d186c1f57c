use super::chart::{Currency, CHART, SHIPPING, SUNDRY_400, SUPPLIES, TRAVEL};
use super::*;
use crate::company::Op;

fn fixture(realm: &Realm, entity: Entity, id: u32) -> &Txn {
    let table = realm.table(entity);
    &table.txns[table.position_of(id).expect("fixture present") as usize]
}

#[test]
fn fixtures_keep_their_ids_and_amounts_whatever_the_seed_and_size() {
    for (seed, size) in [(1, 0), (2024, 300), (7, 2_000)] {
        let realm = Realm::generate(seed, size);
        let q1 = fixture(&realm, Entity::Purchase, 9001);
        assert_eq!(realm.totals(Entity::Purchase, q1), (125_000, 0));
        assert_eq!(q1.payment(), PaymentType::CreditCard);
        assert!(!q1.has(FLAG_REFUND));
        assert_eq!(
            crate::quickbooks::time::date(i64::from(q1.day)),
            "2024-03-12"
        );
        let lines = realm.table(Entity::Purchase).lines_of(q1);
        assert_eq!(lines[0].account, TRAVEL);
        assert_eq!(realm.vendor_of(q1).currency, Currency::Usd);

        let q2 = fixture(&realm, Entity::Bill, 9002);
        assert_eq!(realm.totals(Entity::Bill, q2), (99_999, 0));
        assert_eq!(realm.rate_e4(q2), 10_850);
        assert_eq!(realm.vendor_of(q2).currency, Currency::Eur);
        let accounts: Vec<u8> = realm
            .table(Entity::Bill)
            .lines_of(q2)
            .iter()
            .map(|l| l.account)
            .collect();
        assert_eq!(accounts, vec![SHIPPING, SUPPLIES]);

        let q3 = fixture(&realm, Entity::VendorCredit, 9003);
        assert_eq!(realm.totals(Entity::VendorCredit, q3), (15_000, 0));

        let q4 = fixture(&realm, Entity::Purchase, 9004);
        assert_eq!(q4.payment(), PaymentType::Check);
        let line = realm.table(Entity::Purchase).lines_of(q4)[0];
        assert_eq!((line.account, line.amount), (SUNDRY_400, 30_000));
        assert_eq!(CHART[usize::from(SUNDRY_400)].acct_num, Some("400"));
        assert_ne!(
            CHART[usize::from(SUNDRY_400)].sub_type,
            "AdvertisingPromotional"
        );

        let q5 = fixture(&realm, Entity::Purchase, 9005);
        assert!(q5.has(FLAG_REFUND));
        assert_eq!(realm.totals(Entity::Purchase, q5), (7_500, 0));
        assert_eq!(
            realm.vendor_of(q5).id,
            realm.vendor_of(q1).id,
            "the refund comes from the airline that was paid"
        );
    }
}

#[test]
fn the_same_seed_builds_the_same_company_and_another_seed_another() {
    let a = Realm::generate(42, 600);
    let b = Realm::generate(42, 600);
    let c = Realm::generate(43, 600);
    for entity in Entity::ALL {
        assert_eq!(a.table(entity).txns, b.table(entity).txns);
        assert_eq!(a.table(entity).lines, b.table(entity).lines);
    }
    assert_ne!(
        a.table(Entity::Purchase).lines,
        c.table(Entity::Purchase).lines
    );
    // Vendor Ids come from the catalogue, not the data.
    let ids = |r: &Realm| r.vendors.iter().map(|v| (v.id, v.name)).collect::<Vec<_>>();
    assert_eq!(ids(&a), ids(&c));
    assert_eq!(ids(&Realm::generate(1, 0)), ids(&a));
}

#[test]
fn records_are_numbered_in_date_order_and_stamped_uniquely() {
    let realm = Realm::generate(2024, 3_000);
    let mut generated: Vec<&Txn> = Entity::ALL
        .iter()
        .flat_map(|&e| realm.table(e).txns.iter())
        .filter(|t| !t.has(FLAG_FIXTURE))
        .collect();
    generated.sort_by_key(|t| t.id);
    assert_eq!(generated[0].id, FIRST_GENERATED_ID);
    for pair in generated.windows(2) {
        assert_eq!(pair[1].id, pair[0].id + 1);
        assert!(pair[1].day >= pair[0].day);
        assert!(pair[1].updated > pair[0].updated, "stamps are unique");
    }
    for entity in Entity::ALL {
        let table = realm.table(entity);
        assert!(table.txns.is_sorted_by_key(|t| t.id));
        assert!(table.order.is_sorted_by_key(|&p| table.key(p)));
        assert_eq!(table.order, table.live);
        assert_eq!(table.order.len(), table.txns.len());
    }
    // Supplier-side records only: about 80% of a generated organisation.
    let total: usize = Entity::ALL.iter().map(|&e| realm.table(e).txns.len()).sum();
    assert!((2_200..2_700).contains(&total), "{total}");
}

#[test]
fn the_data_has_the_mix_a_client_must_handle() {
    let realm = Realm::generate(2024, 5_000);
    let purchases = realm.table(Entity::Purchase);
    let count = |f: &dyn Fn(&Txn) -> bool| purchases.txns.iter().filter(|t| f(t)).count();
    for payment in [
        PaymentType::Cash,
        PaymentType::Check,
        PaymentType::CreditCard,
    ] {
        assert!(count(&|t| t.payment() == payment) > 50, "{payment:?}");
    }
    assert!(count(&|t| t.has(FLAG_REFUND)) > 5);
    assert!(count(&|t| t.has(FLAG_SHOW_CREDIT)) > 50);
    let foreign = Entity::ALL
        .iter()
        .flat_map(|&e| realm.table(e).txns.iter())
        .filter(|t| realm.vendor_of(t).currency != Currency::Usd)
        .count();
    assert!(foreign > 40, "{foreign}");
    let taxed = Entity::ALL
        .iter()
        .flat_map(|&e| realm.table(e).lines.iter())
        .filter(|l| l.tax != 0)
        .count();
    assert!(taxed > 40, "{taxed}");
    let items = realm
        .table(Entity::Bill)
        .lines
        .iter()
        .filter(|l| l.item != 0)
        .count();
    assert!(items > 5, "{items}");
    let voided = realm
        .table(Entity::Bill)
        .txns
        .iter()
        .filter(|t| t.has(FLAG_VOIDED))
        .count();
    assert!(voided > 0);
    assert!(realm.table(Entity::VendorCredit).txns.len() > 5);
}

#[test]
fn edits_are_stamped_last_and_replay_onto_fresh_data() {
    let mut realm = Realm::generate(2024, 1_000);
    let before_last = realm.last_stamp;
    let now_ms = (STAMP_EPOCH_S + i64::from(before_last) - 3600) * 1000;
    let changed = realm
        .apply(Entity::Purchase, Op::Change, Selection::Count(2), now_ms)
        .unwrap();
    let deleted = realm
        .apply(
            Entity::Bill,
            Op::Delete,
            Selection::Ids(vec!["9002".into()]),
            now_ms,
        )
        .unwrap();
    assert_eq!(deleted, vec!["9002".to_owned()]);
    let purchases = realm.table(Entity::Purchase);
    let tail: Vec<String> = purchases.order[purchases.order.len() - 2..]
        .iter()
        .map(|&p| purchases.txns[p as usize].id.to_string())
        .collect();
    assert_eq!(tail, changed);
    let first =
        &purchases.txns[purchases.position_of(changed[0].parse().unwrap()).unwrap() as usize];
    assert!(first.updated > before_last);
    assert_eq!(first.sync, 1);
    let bills = realm.table(Entity::Bill);
    let q2 = bills.position_of(9002).unwrap();
    assert!(!bills.live.contains(&q2));
    assert_eq!(*bills.order.last().unwrap(), q2);
    assert!(bills.txns[q2 as usize].updated > first.updated);
    assert!(matches!(
        realm.apply(
            Entity::Bill,
            Op::Change,
            Selection::Ids(vec!["9002".into()]),
            now_ms
        ),
        Err(ChangeError::Deleted(..))
    ));
    assert!(matches!(
        realm.apply(
            Entity::Bill,
            Op::Change,
            Selection::Ids(vec!["7".into()]),
            now_ms
        ),
        Err(ChangeError::UnknownId(..))
    ));

    let mut again = Realm::generate(2024, 1_000);
    assert_eq!(again.replay(&realm.changes), 0);
    for entity in Entity::ALL {
        assert_eq!(again.table(entity).txns, realm.table(entity).txns);
        assert_eq!(again.table(entity).lines, realm.table(entity).lines);
        assert_eq!(again.table(entity).order, realm.table(entity).order);
        assert_eq!(again.table(entity).live, realm.table(entity).live);
    }
    assert_eq!(again.changes, realm.changes);
}

#[test]
fn a_change_adds_ten_dollars_to_the_first_line_and_the_total() {
    let mut realm = Realm::generate(5, 200);
    let q1 = *fixture(&realm, Entity::Purchase, 9001);
    let (net, tax) = realm.totals(Entity::Purchase, &q1);
    realm
        .apply(
            Entity::Purchase,
            Op::Change,
            Selection::Ids(vec!["9001".into()]),
            0,
        )
        .unwrap();
    let after = *fixture(&realm, Entity::Purchase, 9001);
    assert_eq!(realm.totals(Entity::Purchase, &after), (net + 1_000, tax));
    assert_eq!(
        realm.note(Entity::Purchase, &after).as_deref(),
        Some("Trade show flights (amended)")
    );
}
