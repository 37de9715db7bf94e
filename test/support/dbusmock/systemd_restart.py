'''systemd stand-in for takopi's /refresh tests (python-dbusmock template).

The stock `systemd` template (dbusmock 0.28) has StartUnit but no RestartUnit,
no Subscribe, and every job ends "done". This one reuses it and adds what the
refresh plugin talks to, with the job result chosen per unit.

Parameters (`-p` JSON): {"units": {"<unit name>": "<behaviour>"}}, where a
behaviour is
  a job result ("done", "failed", "canceled", "dependency", "skipped",
  "timeout", ...)   JobRemoved with that result, sent after the method reply;
  "early"           JobRemoved "done" sent *before* the method reply — the race
                    a client must survive by subscribing first and buffering;
  "decoy"           JobRemoved "failed" for another job of the same unit, then
                    "done" for this one — a client must match the job path;
  "never"           the job never finishes (client-side timeout);
  "access-denied" / "interactive-auth"
                    the polkit refusals real systemd answers with.
Units that are not listed do not exist: NoSuchUnit, as real systemd answers.
{"aliases": {"<alias>": "<unit name>"}} makes LoadUnit answer an alias with
its unit's object, whose Id is the real name (as a symlink in
/etc/systemd/system does); a job asked for by the alias itself is refused
with NoSuchUnit, so a client must resolve the name first.
A finished job leaves the unit active (running) for "done" and failed for
"failed", which LoadUnit + Properties.GetAll on the unit show.

Job paths use real systemd's lower-case `/org/freedesktop/systemd1/job/<n>`
(the stock template says `Job`).
'''

import dbus
from gi.repository import GLib

from dbusmock import mockobject
from dbusmock.templates import systemd as stock
from dbusmock.templates.systemd import (  # noqa: F401 (dbusmock reads these names from the template module)
    BUS_NAME, MAIN_IFACE, MAIN_OBJ, PATH_PREFIX, SYSTEM_BUS, UNIT_IFACE, AddMockUnit, GetUnit, StopUnit,
)

REFUSALS = {
    'access-denied': ('org.freedesktop.DBus.Error.AccessDenied', 'Access denied'),
    'interactive-auth': ('org.freedesktop.DBus.Error.InteractiveAuthorizationRequired', 'Interactive authentication required.'),
}


def load(mock, parameters):
    stock.load(mock, parameters)
    mock.behaviours = {str(name): str(behaviour) for name, behaviour in parameters.get('units', {}).items()}
    for name in mock.behaviours:
        mock.AddMockUnit(name)
        mockobject.objects[mock.units[name]].AddProperty(UNIT_IFACE, 'SubState', 'dead')
    # LoadUnit's lookup only: queue_job goes by mock.behaviours, which knows no alias.
    for alias, name in parameters.get('aliases', {}).items():
        mock.units[str(alias)] = mock.units[str(name)]


def set_state(mock, name, active, sub):
    unit = mockobject.objects[mock.units[name]]
    unit.UpdateProperties(UNIT_IFACE, {'ActiveState': active, 'SubState': sub})


def queue_job(mock, name):
    '''What real systemd does for Start/RestartUnit, minus the unit: a job path now, JobRemoved later.'''
    name = str(name)
    behaviour = mock.behaviours.get(name)
    if behaviour is None:
        raise dbus.exceptions.DBusException(f'Unit {name} not found.', name='org.freedesktop.systemd1.NoSuchUnit')
    if behaviour in REFUSALS:
        error, text = REFUSALS[behaviour]
        raise dbus.exceptions.DBusException(text, name=error)

    job_id = mock.next_job_id
    mock.next_job_id += 2  # odd ids for real jobs, the next even one for a decoy
    job_path = f'{PATH_PREFIX}/job/{job_id}'

    def removed(jid, result):
        mock.EmitSignal(MAIN_IFACE, 'JobRemoved', 'uoss', [jid, f'{PATH_PREFIX}/job/{jid}', name, result])

    def later():
        if behaviour == 'decoy':
            removed(job_id + 1, 'failed')
            removed(job_id, 'done')
        else:
            removed(job_id, behaviour)
        if behaviour in ('done', 'decoy'):
            set_state(mock, name, 'active', 'running')
        elif behaviour == 'failed':
            set_state(mock, name, 'failed', 'failed')
        return False  # run once

    mock.EmitSignal(MAIN_IFACE, 'JobNew', 'uos', [job_id, job_path, name])
    if behaviour == 'early':
        removed(job_id, 'done')
    elif behaviour != 'never':
        GLib.idle_add(later)
    return dbus.ObjectPath(job_path)


@dbus.service.method(MAIN_IFACE, in_signature='ss', out_signature='o')
def RestartUnit(self, name, _mode):
    return queue_job(self, name)


@dbus.service.method(MAIN_IFACE, in_signature='ss', out_signature='o')
def StartUnit(self, name, _mode):
    return queue_job(self, name)


@dbus.service.method(MAIN_IFACE, in_signature='s', out_signature='o')
def LoadUnit(self, name):
    '''Like GetUnit here; real systemd also loads a unit it had unloaded (and answers "not-found" units).'''
    if str(name) not in self.units:
        raise dbus.exceptions.DBusException(f'Unit {name} not found.', name='org.freedesktop.systemd1.NoSuchUnit')
    return dbus.ObjectPath(self.units[str(name)])


@dbus.service.method(MAIN_IFACE, in_signature='', out_signature='')
def Subscribe(self):
    '''Real systemd sends Job* signals only while some client is subscribed.'''


@dbus.service.method(MAIN_IFACE, in_signature='', out_signature='')
def Unsubscribe(self):
    pass
