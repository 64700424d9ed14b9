"""The console's words, Bahasa Indonesia first, English second."""

from __future__ import annotations

from dataclasses import dataclass

from services.queue_gate.entrypoints.templates.language_choice import Language


@dataclass(frozen=True)
class ConsoleWording:
    title: str
    skip_to_content: str
    sign_in: str
    sign_in_heading: str
    name: str
    password: str
    sign_in_refused: str
    too_many_attempts: str
    signed_out: str
    sign_out: str
    signed_in_as: str
    other_language: str
    regions: str
    parked: str
    controls: str
    maintenance: str
    audit: str
    region: str
    siak_status: str
    gate: str
    backlog: str
    replay_rate: str
    drain_time: str
    paused: str
    no_regions: str
    ticket: str
    service: str
    siak_reason: str
    since: str
    reason: str
    retry: str
    cancel: str
    no_parked: str
    next_page: str
    override: str
    intake_mode: str
    replay_paused: str
    max_rate: str
    unchanged: str
    yes: str
    no: str
    save: str
    starts_at: str
    ends_at: str
    regions_field: str
    regions_hint: str
    message_id: str
    message_en: str
    schedule: str
    change: str
    no_maintenance: str
    from_file: str
    search: str
    search_term: str
    when: str
    who: str
    what: str
    subject: str
    no_audit: str
    done: str
    not_allowed: str
    times_in: str
    local_time: str
    recurrence: str
    once: str
    weekly: str
    reason_required: str
    not_parked: str
    no_such_ticket: str
    unknown_region: str
    monitor_unavailable: str
    invalid_field: str
    default: str
    region_code: str
    other_region: str
    current: str
    every_region: str
    form_refused: str
    max_rate_default: str


WORDING = {
    Language.ID: ConsoleWording(
        title="Konsol Operator SIAK Gate",
        skip_to_content="Langsung ke isi",
        sign_in="Masuk",
        sign_in_heading="Masuk ke konsol",
        name="Nama akun",
        password="Kata sandi",
        sign_in_refused="Nama akun atau kata sandi salah.",
        too_many_attempts="Terlalu banyak percobaan gagal. Coba lagi nanti.",
        signed_out="Anda telah keluar.",
        sign_out="Keluar",
        signed_in_as="Masuk sebagai",
        other_language="English",
        regions="Wilayah",
        parked="Pengajuan tertahan",
        controls="Kendali wilayah",
        maintenance="Jadwal pemeliharaan",
        audit="Log audit",
        region="Wilayah",
        siak_status="Status SIAK",
        gate="Gerbang",
        backlog="Antrean",
        replay_rate="Laju kirim ulang (/detik)",
        drain_time="Perkiraan antrean habis",
        paused="dijeda",
        no_regions="Belum ada wilayah yang diketahui.",
        ticket="Tiket",
        service="Layanan",
        siak_reason="Kode alasan SIAK",
        since="Sejak",
        reason="Alasan",
        retry="Coba lagi",
        cancel="Batalkan",
        no_parked="Tidak ada pengajuan tertahan.",
        next_page="Berikutnya",
        override="Paksa gerbang",
        intake_mode="Mode penerimaan",
        replay_paused="Jeda kirim ulang",
        max_rate="Laju maksimum (/detik)",
        unchanged="(tidak diubah)",
        yes="ya",
        no="tidak",
        save="Simpan",
        starts_at="Mulai",
        ends_at="Selesai",
        times_in="Waktu dalam",
        local_time="waktu setempat tiap wilayah",
        recurrence="Berulang",
        once="sekali",
        weekly="mingguan",
        regions_field="Wilayah (kode, dipisah koma, atau *)",
        regions_hint="contoh: 73.71, 73.06",
        message_id="Pesan (Bahasa Indonesia)",
        message_en="Pesan (English)",
        schedule="Jadwalkan",
        change="Ubah",
        no_maintenance="Tidak ada jadwal pemeliharaan.",
        from_file="dari berkas konfigurasi, ubah di sana",
        search="Cari",
        search_term="Kata kunci",
        when="Waktu",
        who="Siapa",
        what="Tindakan",
        subject="Sasaran",
        no_audit="Tidak ada catatan.",
        done="Tersimpan.",
        not_allowed="Peran Anda hanya boleh melihat.",
        reason_required="Alasan wajib diisi.",
        not_parked="Hanya pengajuan tertahan yang dapat dipindahkan.",
        no_such_ticket="Tiket tidak ditemukan.",
        unknown_region="Kode wilayah tidak dikenal.",
        monitor_unavailable="Monitor SIAK tidak dapat dihubungi; coba lagi nanti.",
        invalid_field="Isian tidak sah",
        default="bawaan",
        region_code="Kode wilayah",
        other_region="Wilayah lain",
        current="Saat ini",
        every_region="semua wilayah",
        max_rate_default="Laju maksimum kembali ke bawaan",
        form_refused="Formulir ini kedaluwarsa atau tidak sah. Muat ulang halaman, lalu coba lagi.",
    ),
    Language.EN: ConsoleWording(
        title="SIAK Gate Operator Console",
        skip_to_content="Skip to content",
        sign_in="Sign in",
        sign_in_heading="Sign in to the console",
        name="Account name",
        password="Password",
        sign_in_refused="Wrong account name or password.",
        too_many_attempts="Too many failed attempts. Try again later.",
        signed_out="You have signed out.",
        sign_out="Sign out",
        signed_in_as="Signed in as",
        other_language="Bahasa Indonesia",
        regions="Regions",
        parked="Parked submissions",
        controls="Region controls",
        maintenance="Maintenance windows",
        audit="Audit log",
        region="Region",
        siak_status="SIAK status",
        gate="Gate",
        backlog="Backlog",
        replay_rate="Replay rate (/s)",
        drain_time="Estimated drain time",
        paused="paused",
        no_regions="No region known yet.",
        ticket="Ticket",
        service="Service",
        siak_reason="SIAK reason code",
        since="Since",
        reason="Reason",
        retry="Retry",
        cancel="Cancel",
        no_parked="No parked submissions.",
        next_page="Next",
        override="Force the gate",
        intake_mode="Intake mode",
        replay_paused="Pause replay",
        max_rate="Maximum rate (/s)",
        unchanged="(unchanged)",
        yes="yes",
        no="no",
        save="Save",
        starts_at="Starts",
        ends_at="Ends",
        times_in="Times in",
        local_time="each region's local time",
        recurrence="Repeats",
        once="once",
        weekly="weekly",
        regions_field="Regions (codes, comma separated, or *)",
        regions_hint="e.g. 73.71, 73.06",
        message_id="Message (Bahasa Indonesia)",
        message_en="Message (English)",
        schedule="Schedule",
        change="Change",
        no_maintenance="No maintenance scheduled.",
        from_file="from the configuration file, change it there",
        search="Search",
        search_term="Search term",
        when="When",
        who="Who",
        what="Action",
        subject="Subject",
        no_audit="No entries.",
        done="Saved.",
        not_allowed="Your role may only look.",
        reason_required="A reason is required.",
        not_parked="Only a parked submission can be moved.",
        no_such_ticket="No such ticket.",
        unknown_region="Unknown region code.",
        monitor_unavailable="The SIAK monitor cannot be reached; try again later.",
        invalid_field="Invalid field",
        default="default",
        region_code="Region code",
        other_region="Another region",
        current="Now",
        every_region="every region",
        max_rate_default="Maximum rate back to the default",
        form_refused="This form has expired or is not valid. Reload the page and try again.",
    ),
}
